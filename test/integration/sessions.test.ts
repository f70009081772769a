// Why a session was cut off, end to end: real tools' retry patterns (test/fixtures/
// agent-tools.ts) and the official SDKs' own retries through the proxy to the fake
// provider, then the session as the dashboard API tells it — its turns and attempts,
// its title, its context and cost, and one test per ending kind.

import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionDetail, SessionSummary, TurnAttempts } from '../../src-main/common/contract.js';
import type { ApiModel } from '../../src-main/core/api-model.js';
import { openStore } from '../../src-main/core/db/store.js';
import { listSessions } from '../../src-main/core/sessions.js';
import { costUsd } from '../../src-main/core/sessions/catalog.js';
import { claudeCode, claudeCodeTurn, codex, codexTurn } from '../fixtures/agent-tools.js';
import { startRefusingPort, type Scenario } from '../fixtures/fake-upstream.js';
import { SECRET_ANTHROPIC_KEY, SECRET_OPENAI_KEY, startHarness, type Harness } from './harness.js';
import { waitUntil } from '../fixtures/wait.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function harness(...args: Parameters<typeof startHarness>): Promise<{ h: Harness; api: ApiModel }> {
  h = await startHarness(...args);
  return { h, api: h.core.api };
}

async function onlySession(api: ApiModel): Promise<SessionDetail> {
  const list = (await api['sessions.list']({ filter: {}, limit: 50 })) as SessionSummary[];
  expect(list).toHaveLength(1);
  const detail = await api['sessions.get']({ id: list[0]!.sessionId });
  expect(detail).not.toBeNull();
  // The list and one session's view tell the same story.
  expect(detail!.ending).toEqual(list[0]!.ending);
  return detail!;
}

const SYSTEM_REMINDER = '<system-reminder>\nThe user opened store.test.ts in the IDE.\n</system-reminder>';

function claudeParams(prompt: string) {
  return {
    model: 'claude-haiku-4-5',
    max_tokens: 32_000,
    system: [{ type: 'text' as const, text: 'You are Claude Code, an interactive CLI tool.' }],
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: SYSTEM_REMINDER }, { type: 'text' as const, text: prompt }] }],
  };
}

const codexInput = (prompt: string) => [
  { type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: '<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>' }] },
  { type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: prompt }] },
];

describe('a tool recovering from a failed attempt', () => {
  it('completed: Claude Code retried a dropped stream without streaming, as one turn of two attempts', async () => {
    const { h, api } = await harness();
    h.fake.enqueue({ disconnectAfterEvents: 5 }, {});
    const { client, sessionId } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    const got = await claudeCodeTurn(client, claudeParams('fix the flaky test in store.test.ts'));
    expect(got.error).toBeNull();
    expect(got.attempts).toBe(2);
    const recs = await h.waitForFinished(2);
    expect(recs.map((r) => [r.stream, r.outcome, r.attempt, r.turnId])).toEqual([
      [true, 'upstream_disconnected', 1, recs[0]!.id],
      [false, 'completed', 2, recs[0]!.id],
    ]);
    const s = await onlySession(api);
    expect(s).toMatchObject({ sessionId, inferred: false, client: 'Claude Code 2.0.14', title: 'fix the flaky test in store.test.ts', requests: 2, turnCount: 1 });
    expect(s.ending).toEqual({ kind: 'completed', diagnosis: 'Completed, after one dropped stream retried without streaming.', recordId: recs[1]!.id });
    expect(s.turns).toHaveLength(1);
    expect(s.turns[0]!.attempts.map((a) => [a.recordId, a.attempt, a.stream, a.outcome])).toEqual([
      [recs[0]!.id, 1, true, 'upstream_disconnected'],
      [recs[1]!.id, 2, false, 'completed'],
    ]);
    expect(s.turns[0]!.prompt).toBe('fix the flaky test in store.test.ts');
    // a record's detail can link to its siblings
    const siblings = (await api['requests.attempts']({ id: recs[1]!.id })) as TurnAttempts;
    expect(siblings.turnId).toBe(recs[0]!.id);
    expect(siblings.attempts.map((a) => a.recordId)).toEqual([recs[0]!.id, recs[1]!.id]);
  });

  it('side requests (a models list, a token count) are requests of the session, not turns of its story', async () => {
    const { h, api } = await harness();
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    await client.models.list();
    const got = await claudeCodeTurn(client, claudeParams('explain the parser'));
    expect(got.error).toBeNull();
    await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'explain the parser' }] });
    const recs = await h.waitForFinished(3);
    const s = await onlySession(api);
    expect(s).toMatchObject({ requests: 3, turnCount: 1 });
    expect(s.turns).toHaveLength(1);
    expect(s.turns[0]!.attempts.map((a) => a.recordId)).toEqual([recs.find((r) => r.api === 'messages' && r.path === '/v1/messages')!.id]);
    expect(s.ending.diagnosis).toBe('Completed: one turn, answered normally (end_turn).');
  });

  it("completed: the SDK's own retry after a 500 is attempt 2 of the turn (x-stainless-retry-count)", async () => {
    const { h, api } = await harness();
    h.fake.enqueue({ status: 500, errorType: 'server_error', errorMessage: 'The server had an error' }, {});
    const openai = h.openai().withOptions({ maxRetries: 2 });
    await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'list the files' }] });
    const recs = await h.waitForFinished(2);
    expect(recs.map((r) => [r.retryCount, r.attempt, r.turnId])).toEqual([
      [0, 1, recs[0]!.id],
      [1, 2, recs[0]!.id],
    ]);
    const s = await onlySession(api);
    expect(s).toMatchObject({ inferred: true, title: 'list the files', turnCount: 1 });
    expect(s.ending).toMatchObject({ kind: 'completed', diagnosis: 'Completed, after one 500 error recovered on attempt 2.' });
  });
});

describe('a tool giving up', () => {
  it('gave_up_after_retries: Codex reconnected the same input five times, then stopped', async () => {
    const { h, api } = await harness();
    h.fake.enqueue(...Array.from({ length: 6 }, (): Scenario => ({ disconnectAfterEvents: 5 })));
    const { client, sessionId } = codex(`${h.url}/v1`, SECRET_OPENAI_KEY);
    const got = await codexTurn(client, 'gpt-5-codex', 'You are Codex.', codexInput('add a --json flag to the CLI'));
    expect(got).toMatchObject({ text: null, attempts: 6 });
    const recs = await h.waitForFinished(6);
    expect(recs.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(recs.map((r) => r.turnId)).size).toBe(1);
    const s = await onlySession(api);
    expect(s).toMatchObject({ sessionId, client: 'Codex 0.46.0', title: 'add a --json flag to the CLI', requests: 6, turnCount: 1 });
    expect(s.ending.kind).toBe('gave_up_after_retries');
    expect(s.ending.diagnosis).toMatch(/^Codex gave up after 6 attempts in \d+(\.\d)? s: each time the provider dropped the stream after 5 events\.$/);
    expect(s.ending.recordId).toBe(recs[5]!.id);
  });

  it('rate_limited: Claude Code retried three 429s and stopped', async () => {
    const { h, api } = await harness();
    const limited: Scenario = { status: 429, errorType: 'rate_limit_error', errorMessage: 'Number of request tokens has exceeded your per-minute rate limit', retryAfter: 60 };
    h.fake.enqueue(limited, limited, limited);
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    const got = await claudeCodeTurn(client, claudeParams('refactor the parser'), { retries: 2 });
    expect(got.attempts).toBe(3);
    expect(got.error?.status).toBe(429);
    const recs = await h.waitForFinished(3);
    expect(recs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const s = await onlySession(api);
    expect(s.ending).toEqual({ kind: 'rate_limited', diagnosis: 'The provider rate-limited 3 attempts in a row (429, retry after 60 s); Claude Code stopped.', recordId: recs[2]!.id });
  });

  it("rate_limited: the SDK's retries of a 429 are attempts of one turn", async () => {
    const { h, api } = await harness();
    const limited: Scenario = { status: 429, errorType: 'insufficient_quota', errorCode: 'insufficient_quota', errorMessage: 'You exceeded your current quota', retryAfter: '0.02' };
    h.fake.enqueue(limited, limited, limited);
    await expect(h.openai().withOptions({ maxRetries: 2 }).chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/quota/);
    const recs = await h.waitForFinished(3);
    expect(recs.map((r) => [r.retryCount, r.attempt])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    const s = await onlySession(api);
    expect(s.ending.diagnosis).toBe('The provider rate-limited 3 attempts in a row (429 insufficient_quota, retry after 0.02 s); OpenAI/JS stopped.');
  });
});

describe('a conversation outgrowing the context window', () => {
  it('context_exhausted (Anthropic shape): the next turn was refused, the one before it is flagged near the limit', async () => {
    const { h, api } = await harness();
    // ~185,000 tokens as the fake counts them: a 750 KB conversation.
    const big = 'lorem ipsum dolor sit amet '.repeat(27_500);
    const refusal = 'prompt is too long: 201234 tokens > 200000 maximum';
    h.fake.enqueue({}, { status: 400, errorType: 'invalid_request_error', errorMessage: refusal });
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    const first = claudeParams(`read this log: ${big}`);
    const t1 = await claudeCodeTurn(client, first);
    expect(t1.error).toBeNull();
    const t2 = await claudeCodeTurn(client, {
      ...first,
      messages: [...first.messages, { role: 'assistant', content: t1.text! }, { role: 'user', content: 'and now the other log' }],
    });
    expect(t2.error?.status).toBe(400);
    const recs = await h.waitForFinished(2);
    const reached = recs[0]!.usage.inputTokens!;
    expect(reached).toBeGreaterThan(180_000);
    const s = await onlySession(api);
    expect(s.ending).toEqual({
      kind: 'context_exhausted',
      diagnosis: `The conversation reached ${reached.toLocaleString('en-US')} of the model's 200,000 input tokens and the provider refused the next turn (it needed 201,234).`,
      recordId: recs[1]!.id,
    });
    expect(s.turns.map((t) => t.context)).toEqual([
      { inputTokens: reached, estimated: false, window: 200_000, fraction: reached / 200_000, nearLimit: true, refused: false },
      { inputTokens: 201_234, estimated: false, window: 200_000, fraction: 201_234 / 200_000, nearLimit: true, refused: true },
    ]);
    expect(s.turns[1]!.prompt).toBe('and now the other log');
  });

  it('context_exhausted (OpenAI shape): an SDK script whose conversation grew past gpt-4’s 8,192 tokens', async () => {
    const { h, api } = await harness();
    const refusal = "This model's maximum context length is 8192 tokens. However, your messages resulted in 8300 tokens. Please reduce the length of the messages.";
    h.fake.enqueue({}, { status: 400, errorType: 'invalid_request_error', errorCode: 'context_length_exceeded', errorMessage: refusal });
    const openai = h.openai();
    const history = [{ role: 'user' as const, content: `summarise: ${'the quick brown fox jumps over the lazy dog '.repeat(800)}` }];
    const a = await openai.chat.completions.create({ model: 'gpt-4', messages: history });
    await expect(
      openai.chat.completions.create({ model: 'gpt-4', messages: [...history, { role: 'assistant', content: a.choices[0]!.message.content! }, { role: 'user', content: 'shorter please' }] }),
    ).rejects.toThrow(/maximum context length/);
    const recs = await h.waitForFinished(2);
    const reached = recs[0]!.usage.inputTokens!;
    // One inferred session: the second request continues the first one's conversation.
    const s = await onlySession(api);
    expect(s).toMatchObject({ inferred: true, turnCount: 2 });
    expect(s.ending.kind).toBe('context_exhausted');
    expect(s.ending.diagnosis).toBe(`The conversation reached ${reached.toLocaleString('en-US')} of the model's 8,192 input tokens and the provider refused the next turn (it needed 8,300).`);
    expect(s.turns[0]!.context).toMatchObject({ window: 8192, nearLimit: reached >= 0.9 * 8192, refused: false });
    expect(s.turns[1]!.context).toMatchObject({ inputTokens: 8300, window: 8192, refused: true });
  });

  it('estimates the input of a turn that never got usage, with the tokenizer, marked estimated', async () => {
    const { h, api } = await harness();
    h.fake.enqueue({ status: 529, errorType: 'overloaded_error', errorMessage: 'Overloaded' });
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    await claudeCodeTurn(client, claudeParams('explain the build'), { retries: 0 });
    await h.waitForFinished(1);
    const s = await onlySession(api);
    const c = s.turns[0]!.context;
    expect(c.estimated).toBe(true);
    expect(c.inputTokens).toBeGreaterThan(20);
    expect(c.inputTokens).toBeLessThan(80);
    expect(c.window).toBe(200_000);
  });
});

describe('sessions without a session header', () => {
  it('keep two unrelated scripts on one SDK and one key apart, and a growing conversation together', async () => {
    const { h, api } = await harness();
    const openai = h.openai();
    const q1 = [{ role: 'system' as const, content: 'You translate.' }, { role: 'user' as const, content: 'translate "hello" to French' }];
    const a1 = await openai.chat.completions.create({ model: 'gpt-5-mini', messages: q1 });
    await openai.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'summarise the changelog' }] });
    await openai.chat.completions.create({ model: 'gpt-5-mini', messages: [...q1, { role: 'assistant', content: a1.choices[0]!.message.content! }, { role: 'user', content: 'and to German' }] });
    await h.waitForFinished(3);
    const list = (await api['sessions.list']({ filter: {}, limit: 50 })) as SessionSummary[];
    expect(list.map((s) => [s.title, s.requests, s.turnCount, s.inferred])).toEqual([
      ['translate "hello" to French', 2, 2, true],
      ['summarise the changelog', 1, 1, true],
    ]);
    const detail = await api['sessions.get']({ id: list[0]!.sessionId });
    expect(detail!.turns.map((t) => t.prompt)).toEqual(['translate "hello" to French', 'and to German']);
  });
});

describe('ending kinds for a single failed or live turn', () => {
  it('client_aborted: the SDK script closed its stream mid-answer', async () => {
    const { h, api } = await harness();
    const ac = new AbortController();
    const stream = await h.openai({ chunks: 20, chunkDelayMs: 100 }).chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'write a poem' }] }, { signal: ac.signal });
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) ac.abort();
    } catch {
      // the SDK may end the iteration or throw an abort error: either way the client left
    }
    await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending.kind).toBe('client_aborted');
    expect(s.ending.diagnosis).toMatch(/^OpenAI\/JS closed the connection on turn 1 \d+\.\d s into the answer, after ~\d+ output tokens?; the answer was not complete\.$/);
  });

  it('upstream_error: the provider sent an error event mid-stream and the tool stopped', async () => {
    const { h, api } = await harness();
    const stream = await h.anthropic({ errorEventAfter: 3, errorType: 'overloaded_error', errorMessage: 'Overloaded' }).messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow(/Overloaded/);
    await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending.kind).toBe('upstream_error');
    expect(s.ending.diagnosis).toMatch(/^The provider sent an error event \(overloaded_error: Overloaded\) \d+\.\d s into the answer to turn 1; Anthropic\/JS stopped\.$/);
  });

  it('upstream_disconnected: the stream dropped and nobody retried', async () => {
    const { h, api } = await harness();
    const stream = await h.openai({ disconnectAfterEvents: 3 }).chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow();
    await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending.kind).toBe('upstream_disconnected');
    expect(s.ending.diagnosis).toMatch(/^The provider dropped the stream of turn 1 after 3 events \(\d+\.\d s in\); OpenAI\/JS did not retry\.$/);
  });

  it('upstream_unreachable: the upstream refused the connection', async () => {
    const port = await startRefusingPort();
    const { h, api } = await harness({}, { dead: `http://127.0.0.1:${port}` });
    const openai = h.openai().withOptions({ baseURL: `${h.url}/dead/v1` });
    await expect(openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();
    await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending).toMatchObject({ kind: 'upstream_unreachable', diagnosis: 'Streamtap could not reach the dead upstream on turn 1 (ECONNREFUSED: connection refused); OpenAI/JS stopped.' });
  });

  it('timeout: the stream went silent past the idle timeout', async () => {
    const { h, api } = await harness({ timeouts: { headersMs: 10_000, idleMs: 300, connectMs: 5_000 } });
    const stream = await h.openai({ stallAfterEvents: 2 }).chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow();
    await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending.kind).toBe('timeout');
    expect(s.ending.diagnosis).toMatch(/^The stream of turn 1 went silent after 2 events \(idle timeout\); Streamtap closed it after 0\.\d s\.$/);
  });

  it('truncated: the last answer hit the output token limit', async () => {
    const { h, api } = await harness();
    await h.anthropic({ finishByLength: true }).messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'write a novel' }] });
    const [rec] = await h.waitForFinished(1);
    const s = await onlySession(api);
    expect(s.ending).toEqual({
      kind: 'truncated',
      diagnosis: `The answer to turn 1 was cut off by the output token limit (stop reason: max_tokens) after ${rec!.usage.outputTokens} output tokens; Anthropic/JS stopped there.`,
      recordId: rec!.id,
    });
    // priced at the catalog's rates for Claude Haiku 4.5
    const expected = costUsd({ upstream: 'anthropic', upstreamUrl: rec!.upstreamUrl, model: rec!.responseModel ?? rec!.model }, rec!.usage, rec!.startedAt)!;
    expect(expected).toBeGreaterThan(0);
    expect(s.costUsd).toBeCloseTo(expected, 12);
  });

  it('in_progress, then interrupted: the answer is live, then Streamtap stopped under it', async () => {
    const { h, api } = await harness();
    const stream = await h.openai({ stallAfterEvents: 2 }).chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const reading = (async () => {
      for await (const _ of stream) void _;
    })().catch(() => undefined);
    await h.fake.waitForRequests(1);
    // The checkpoint that records the first events lands within 50 ms.
    const live = await waitUntil('the live session to show its first events', async () => {
      const first = ((await api['sessions.list']({ filter: {}, limit: 5 })) as SessionSummary[])[0];
      return first?.ending.diagnosis.includes('events so far') ? first : undefined;
    }, { timeoutMs: 5_000 });
    expect(live?.ending.kind).toBe('in_progress');
    expect(live?.ending.diagnosis).toMatch(/^Turn 1 is still running: streaming for \d+\.\d s \(2 events so far\)\.$/);
    await h.core.stop();
    await reading;
    const store = openStore({ path: h.dbPath });
    try {
      const [s] = await listSessions(store, {}, 5);
      expect(s!.ending).toMatchObject({ kind: 'interrupted', diagnosis: 'Streamtap stopped (quit, crash or kill) while turn 1 was in flight, after 2 events; the partial answer was kept.' });
    } finally {
      store.close();
    }
  });
});

describe('filters', () => {
  it('pick sessions by ending, client, time and text', async () => {
    const { h, api } = await harness();
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    h.fake.enqueue({}, { status: 500 });
    await claudeCodeTurn(client, claudeParams('a good turn'));
    const { client: other } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    await claudeCodeTurn(other, claudeParams('a bad turn'));
    await h.waitForFinished(2);
    const titles = async (filter: object) => ((await api['sessions.list']({ filter, limit: 10 })) as SessionSummary[]).map((s) => s.title);
    expect(await titles({ ending: ['upstream_error'] })).toEqual(['a bad turn']);
    expect(await titles({ ending: ['completed', 'upstream_error'] })).toEqual(['a bad turn', 'a good turn']);
    expect(await titles({ client: ['Claude Code 2.0.14'], text: 'good turn' })).toEqual(['a good turn']);
    expect(await titles({ since: Date.now() + 60_000 })).toEqual([]);
    expect(fs.existsSync(h.dbPath)).toBe(true);
  });
});

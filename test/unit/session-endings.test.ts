// How a session ended, from the attempts of its last turn: every kind, the sentence
// for it, and the provider refusals that mean "the conversation no longer fits".

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../../src-main/common/record.js';
import { contextRefusal } from '../../src-main/core/sessions/context-limit.js';
import { fmtDuration, sessionEnding, type EndingFacts } from '../../src-main/core/sessions/endings.js';
import { parseProviderError } from '../../src-main/core/recorder/provider-error.js';
import { summaryFixture } from '../fixtures/records.js';

const T0 = 1_800_000_000_000;
let seq = 0;

function attempt(patch: Partial<RequestSummary> & { durationMs?: number }): RequestSummary {
  seq++;
  const { durationMs = 1_000, ...rest } = patch;
  const startedAt = T0 + seq * 10_000;
  return summaryFixture({
    id: `a${seq}`,
    startedAt,
    endedAt: startedAt + durationMs,
    timings: { firstByteMs: 100, ttftMs: 200, lastEventMs: durationMs, durationMs },
    outcome: 'completed',
    phase: 'complete',
    stopReason: 'end_turn',
    httpStatus: 200,
    ...rest,
  });
}

const dropped = (events = 5) => attempt({ outcome: 'upstream_disconnected', phase: 'mid_stream', eventCount: events, stream: true });
const limited = (retryAfterS: number | null = 60) =>
  attempt({ outcome: 'upstream_error', httpStatus: 429, phase: 'complete', error: { type: 'rate_limit_error', code: null, message: 'rate limited', retryAfterS } });
const http = (status: number, type: string) => attempt({ outcome: 'upstream_error', httpStatus: status, phase: 'complete', error: { type, code: null, message: type, retryAfterS: null } });

function end(attempts: RequestSummary[], facts: Partial<EndingFacts> = {}) {
  return sessionEnding({ client: 'Claude Code 2.0.14', turnCount: 3, turnIndex: 3, attempts, previousInputTokens: null, contextWindow: 200_000, now: T0 + 10_000_000, ...facts });
}

describe('sessionEnding', () => {
  it('completed: normally, or after the failed attempts it recovered from', () => {
    expect(end([attempt({})])).toMatchObject({ kind: 'completed', diagnosis: 'Completed: 3 turns, the last answered normally (end_turn).' });
    expect(end([attempt({})], { turnCount: 1, turnIndex: 1 }).diagnosis).toBe('Completed: one turn, answered normally (end_turn).');
    expect(end([dropped(), attempt({ stream: false })]).diagnosis).toBe('Completed, after one dropped stream retried without streaming.');
    expect(end([limited(), limited(), attempt({})]).diagnosis).toBe('Completed, after 2 rate-limited attempts (429) recovered on attempt 3.');
    expect(end([dropped(), dropped(), http(500, 'api_error'), attempt({})]).diagnosis).toBe('Completed, after 2 dropped streams, then one 500 error recovered on attempt 4.');
  });

  it('names the deciding record: the last attempt', () => {
    const last = attempt({});
    expect(end([dropped(), last]).recordId).toBe(last.id);
    expect(end([])).toEqual({ kind: 'completed', diagnosis: 'No requests.', recordId: null });
  });

  it('gave_up_after_retries: how long the tool tried, and how each try failed', () => {
    const drops = Array.from({ length: 6 }, () => dropped(5));
    const span = drops[5]!.endedAt! - drops[0]!.startedAt;
    expect(end(drops, { client: 'Codex 0.46.0' })).toEqual({
      kind: 'gave_up_after_retries',
      diagnosis: `Codex gave up after 6 attempts in ${fmtDuration(span)}: each time the provider dropped the stream after 5 events.`,
      recordId: drops[5]!.id,
    });
    expect(end([dropped(3), dropped(5)]).diagnosis).toMatch(/: each time the provider dropped the stream after 3–5 events\.$/);
    expect(end([http(529, 'overloaded_error'), http(529, 'overloaded_error')]).diagnosis).toMatch(/: each time the provider answered 529 \(overloaded_error\)\.$/);
    expect(end([dropped(), http(500, 'api_error')], { client: null }).diagnosis).toMatch(/^The client gave up after 2 attempts in .*: one dropped stream, then one 500 error\.$/);
  });

  it('rate_limited: 429s in a row, with the wait the provider asked for, and quota refusals', () => {
    expect(end([limited(), limited(), limited()]).diagnosis).toBe('The provider rate-limited 3 attempts in a row (429, retry after 60 s); Claude Code stopped.');
    expect(end([dropped(), limited(2.5)]).diagnosis).toBe('The provider rate-limited the last request of turn 3 (429, retry after 2.5 s); Claude Code stopped.');
    const quota = attempt({ outcome: 'upstream_error', httpStatus: 429, error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota', retryAfterS: null } });
    expect(end([quota], { client: 'OpenAI/JS 6.3.0' }).diagnosis).toBe('The provider rate-limited the last request of turn 3 (429 insufficient_quota); OpenAI/JS stopped.');
  });

  it('context_exhausted: with the conversation size before it, or what the refused turn needed', () => {
    const refused = attempt({ outcome: 'upstream_error', httpStatus: 400, error: { type: 'invalid_request_error', code: null, message: 'prompt is too long: 210000 tokens > 200000 maximum', retryAfterS: null } });
    expect(end([refused], { previousInputTokens: 199_800 }).diagnosis).toBe(
      "The conversation reached 199,800 of the model's 200,000 input tokens and the provider refused the next turn (it needed 210,000).",
    );
    expect(end([refused]).diagnosis).toBe("Turn 3 needed 210,000 of the model's 200,000 input tokens and the provider refused it.");
    const vague = attempt({ outcome: 'upstream_error', httpStatus: 400, error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'Your input exceeds the context window of this model.', retryAfterS: null } });
    expect(end([vague], { contextWindow: null }).diagnosis).toBe(
      "The provider refused turn 3: the conversation no longer fits the model's context window (invalid_request_error: Your input exceeds the context window of this model.).",
    );
    expect(end([vague], { previousInputTokens: 390_000, contextWindow: 400_000 }).kind).toBe('context_exhausted');
  });

  it('client_aborted and interrupted win over earlier failed attempts', () => {
    const aborted = attempt({ outcome: 'client_aborted', phase: 'mid_stream', durationMs: 7_800, usage: { inputTokens: 10, outputTokens: 38, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: true } });
    expect(end([dropped(), aborted]).diagnosis).toBe('Claude Code closed the connection on turn 3 7.8 s into the answer, after ~38 output tokens (attempt 2 after one dropped stream); the answer was not complete.');
    const early = attempt({ outcome: 'client_aborted', phase: 'before_response', durationMs: 3_000 });
    expect(end([early]).diagnosis).toBe('Claude Code closed the connection on turn 3 after 3.0 s, before the provider answered; the answer was not complete.');
    expect(end([dropped(), attempt({ outcome: 'interrupted', eventCount: 0 })]).diagnosis).toBe('Streamtap stopped (quit, crash or kill) while turn 3 was in flight; the partial answer was kept.');
  });

  it('in_progress: the turn, the attempt and how long it has been live', () => {
    const live = attempt({ outcome: 'in_progress', endedAt: null, eventCount: 12, timings: { firstByteMs: 100, ttftMs: 200, lastEventMs: 2_000, durationMs: null } });
    expect(end([live], { now: live.startedAt + 12_400 }).diagnosis).toBe('Turn 3 is still running: streaming for 12 s (12 events so far).');
    const waiting = attempt({ outcome: 'in_progress', endedAt: null, eventCount: 0, timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null } });
    expect(end([limited(), waiting], { now: waiting.startedAt + 2_500 }).diagnosis).toBe(
      'Turn 3 is still running: attempt 2 after one rate-limited attempt (429), waiting 2.5 s for the provider.',
    );
  });

  it('truncated: the last answer stopped at the token limit', () => {
    const cut = attempt({ truncated: true, stopReason: 'max_tokens', usage: { inputTokens: 10, outputTokens: 4_096, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false } });
    expect(end([cut])).toMatchObject({ kind: 'truncated', diagnosis: 'The answer to turn 3 was cut off by the output token limit (stop reason: max_tokens) after 4,096 output tokens; Claude Code stopped there.' });
  });

  it('one failed attempt ends the session with its outcome', () => {
    expect(end([http(500, 'api_error')])).toMatchObject({ kind: 'upstream_error', diagnosis: 'The provider answered 500 (api_error: api_error) on turn 3; Claude Code stopped.' });
    expect(end([dropped(0)]).diagnosis).toBe('The provider dropped the stream of turn 3 before any event (1.0 s in); Claude Code did not retry.');
    expect(end([attempt({ outcome: 'upstream_disconnected', phase: 'before_first_chunk' })]).diagnosis).toBe('The provider dropped the stream of turn 3 before any content (1.0 s); Claude Code did not retry.');
    expect(end([attempt({ outcome: 'timeout', phase: 'before_response', durationMs: 600_000 })]).diagnosis).toBe(
      'The provider sent no response headers for turn 3 within 10 min (header timeout); Streamtap answered 504 and Claude Code stopped.',
    );
    const refused = attempt({ outcome: 'upstream_unreachable', phase: 'before_response', upstream: 'ollama', evidence: { closeSide: 'upstream', errorCode: 'ECONNREFUSED', eventsSeen: 0, lastEvent: null, terminalEventSeen: false, usageSeen: false, bytesToClient: 0 } });
    expect(end([refused]).diagnosis).toBe('Streamtap could not reach the ollama upstream on turn 3 (ECONNREFUSED: connection refused); Claude Code stopped.');
  });
});

describe('contextRefusal', () => {
  const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/transcripts', name), 'utf8');

  it("reads both providers' error shapes, from their real bodies", () => {
    const anthropic = parseProviderError(400, {}, fixture('anthropic-error-prompt-too-long.json'));
    expect(contextRefusal({ error: anthropic })).toEqual({ requestedTokens: 210_000, limitTokens: 200_000 });
    const openai = parseProviderError(400, {}, fixture('openai-error-context-length.json'));
    expect(contextRefusal({ error: openai })).toEqual({ requestedTokens: 131_409, limitTokens: 128_000 });
  });

  it('reads the other phrasings, and takes nothing else for a refusal', () => {
    const e = (message: string, code: string | null = null) => ({ error: { type: 'invalid_request_error', code, message, retryAfterS: null } });
    expect(contextRefusal(e('input length and `max_tokens` exceed context limit: 198000 + 21333 > 200000, decrease input length or `max_tokens` and try again'))).toEqual({ requestedTokens: 198_000, limitTokens: 200_000 });
    expect(contextRefusal(e("This endpoint's maximum context length is 131072 tokens. However, you requested about 140000 tokens (139000 of text input)."))).toEqual({ requestedTokens: 140_000, limitTokens: 131_072 });
    expect(contextRefusal(e('The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'))).toEqual({ requestedTokens: 1_200_000, limitTokens: 1_048_576 });
    expect(contextRefusal(e('Your input exceeds the context window of this model. Please adjust your input and try again.', 'context_length_exceeded'))).toEqual({ requestedTokens: null, limitTokens: null });
    expect(contextRefusal(e('max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens'))).toBeNull();
    expect(contextRefusal(e('Number of request tokens has exceeded your per-minute rate limit'))).toBeNull();
    expect(contextRefusal({ error: null })).toBeNull();
  });
});

// The session linker on its own: which session a request joins, which turn it is an
// attempt of, and that both survive a restart through warm().

import { describe, expect, it } from 'vitest';
import type { Outcome, RequestRecord } from '../../src-main/common/record.js';
import { summarize } from '../../src-main/common/record.js';
import { RETRY_WINDOW_MS, SESSION_GAP_MS, SessionLinker } from '../../src-main/core/sessions/linker.js';
import { recordFixture } from '../fixtures/records.js';

const T0 = 1_800_000_000_000;
let seq = 0;

type Msg = { role: string; content: string };

/** One request through the linker: link(), then settled() with `outcome` unless it stays live. */
function send(
  linker: SessionLinker,
  opts: { at?: number; messages?: Msg[]; body?: Record<string, unknown>; outcome?: Outcome | null; session?: string | null; client?: string; credential?: string; retryCount?: number; api?: RequestRecord['api']; duration?: number },
): RequestRecord {
  seq++;
  const startedAt = opts.at ?? T0 + seq * 1000;
  const api = opts.api ?? 'chat.completions';
  const rec = recordFixture({
    id: `r${String(seq).padStart(4, '0')}`,
    startedAt,
    api,
    path: api === 'chat.completions' ? '/v1/chat/completions' : '/v1/embeddings',
    sessionId: opts.session ?? null,
    client: opts.client ?? 'OpenAI/JS 6.3.0',
    credentialFingerprint: opts.credential ?? 'key-a',
    retryCount: opts.retryCount ?? null,
  });
  const body = opts.body ?? { model: 'gpt-5', stream: true, messages: opts.messages ?? [{ role: 'user', content: 'hi' }] };
  const text = JSON.stringify(body);
  linker.link(rec, Buffer.from(text), JSON.parse(text));
  if (opts.outcome !== null) {
    rec.outcome = opts.outcome ?? 'completed';
    rec.endedAt = startedAt + (opts.duration ?? 500);
    linker.settled(rec);
  }
  return rec;
}

const convo = (...contents: string[]): Msg[] => contents.map((c, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: c }));

describe('turns and attempts', () => {
  it('makes a failed request and its identical re-send one turn, attempts 1 and 2', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 's1', outcome: 'upstream_disconnected' });
    const b = send(l, { session: 's1', body: { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] } });
    expect([a.turnId, a.attempt]).toEqual([a.id, 1]);
    expect([b.turnId, b.attempt]).toEqual([a.id, 2]);
    expect(b.turnFingerprint).toBe(a.turnFingerprint);
  });

  it('counts six reconnects of one input as attempts 1 to 6 of one turn', () => {
    const l = new SessionLinker();
    const recs = Array.from({ length: 6 }, () => send(l, { session: 'codex-1', outcome: 'upstream_disconnected' }));
    expect(recs.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(recs.map((r) => r.turnId))).toEqual(new Set([recs[0]!.id]));
  });

  it('starts a new turn when the same request follows a completed one, or comes after the retry window', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 's1', outcome: 'completed' });
    const b = send(l, { session: 's1', outcome: 'upstream_error' });
    const c = send(l, { session: 's1', at: b.endedAt! + RETRY_WINDOW_MS + 1 });
    expect([b.turnId, b.attempt]).toEqual([b.id, 1]);
    expect(b.turnId).not.toBe(a.turnId);
    expect([c.turnId, c.attempt]).toEqual([c.id, 1]);
  });

  it('links a re-send while the first attempt is still live (the client gave up on its stream)', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 's1', outcome: null });
    const b = send(l, { session: 's1' });
    expect([b.turnId, b.attempt]).toEqual([a.id, 2]);
  });

  it('follows x-stainless-retry-count past the retry window (retry-after can be long)', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 's1', outcome: 'upstream_error' });
    const b = send(l, { session: 's1', at: a.endedAt! + RETRY_WINDOW_MS + 60_000, retryCount: 1 });
    expect([b.turnId, b.attempt]).toEqual([a.id, 2]);
  });

  it('keeps turns apart across sessions, and concurrent identical non-conversation calls apart', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 's1', outcome: 'upstream_error' });
    const b = send(l, { session: 's2' });
    expect(b.attempt).toBe(1);
    const body = { model: 'text-embedding-3-small', input: ['x'] };
    const e1 = send(l, { session: 's1', api: 'embeddings', body, outcome: null });
    const e2 = send(l, { session: 's1', api: 'embeddings', body });
    expect([e2.turnId, e2.attempt]).toEqual([e2.id, 1]);
    expect(e1.turnId).toBe(e1.id);
    expect(a.turnId).toBe(a.id);
  });
});

describe('inferred sessions', () => {
  it('keeps a conversation that grows turn by turn in one session, titled by its first prompt', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('plan the refactor') });
    const b = send(l, { messages: convo('plan the refactor', 'Here is a plan.', 'do step one') });
    const c = send(l, { messages: convo('plan the refactor', 'Here is a plan.', 'do step one', 'Done.', 'and step two') });
    expect(a.sessionId).toBe(`inferred:${a.id}`);
    expect(a.sessionInferred).toBe(true);
    expect([b.sessionId, c.sessionId]).toEqual([a.sessionId, a.sessionId]);
    expect(c.conversation).toMatchObject({ messages: 5, firstPrompt: 'plan the refactor', prompt: 'and step two' });
  });

  it('keeps two unrelated scripts on one SDK and one key apart', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('translate this to French') });
    const b = send(l, { messages: convo('summarise the changelog') });
    const a2 = send(l, { messages: convo('translate this to French', 'Voilà.', 'and to German') });
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(a2.sessionId).toBe(a.sessionId);
  });

  it('splits on client, credential and the time gap, but not on the client version', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('q') });
    const otherKey = send(l, { messages: convo('q', 'a', 'q2'), credential: 'key-b' });
    const otherTool = send(l, { messages: convo('q', 'a', 'q2'), client: 'Anthropic/JS 0.60.0' });
    const newerSdk = send(l, { messages: convo('q', 'a', 'q2'), client: 'OpenAI/JS 6.4.0' });
    const late = send(l, { messages: convo('q', 'a', 'q2', 'a2', 'q3'), at: newerSdk.endedAt! + SESSION_GAP_MS + 1 });
    expect(otherKey.sessionId).not.toBe(a.sessionId);
    expect(otherTool.sessionId).not.toBe(a.sessionId);
    expect(newerSdk.sessionId).toBe(a.sessionId);
    expect(late.sessionId).toBe(`inferred:${late.id}`);
  });

  it('measures the gap from the end of a long request, not its start', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('think hard'), duration: SESSION_GAP_MS });
    const b = send(l, { messages: convo('think hard', 'Thought.', 'go on'), at: a.endedAt! + 1000 });
    expect(b.sessionId).toBe(a.sessionId);
  });

  it('puts a request without a conversation in the latest session of its tool and key', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('hello') });
    const e = send(l, { api: 'embeddings', body: { model: 'text-embedding-3-small', input: 'x' } });
    expect(e.sessionId).toBe(a.sessionId);
    expect(e.conversation).toBeNull();
  });

  it('links a retry of a conversation that started a session to that session and turn', () => {
    const l = new SessionLinker();
    const a = send(l, { messages: convo('hello'), outcome: 'upstream_error' });
    const b = send(l, { messages: convo('hello'), retryCount: 1 });
    expect(b.sessionId).toBe(a.sessionId);
    expect([b.turnId, b.attempt]).toEqual([a.id, 2]);
  });

  it('leaves a session id the tool sent as it is', () => {
    const l = new SessionLinker();
    const a = send(l, { session: 'cc-1', messages: convo('hello') });
    expect(a).toMatchObject({ sessionId: 'cc-1', sessionInferred: false });
  });
});

describe('warm()', () => {
  it('carries turns and inferred sessions over a restart', () => {
    const before = new SessionLinker();
    const a = send(before, { messages: convo('hello'), outcome: 'upstream_disconnected' });
    const b = send(before, { session: 'cc-1', outcome: 'upstream_error' });
    const after = new SessionLinker();
    after.warm([summarize(a), summarize(b)]);
    const a2 = send(after, { messages: convo('hello') });
    const b2 = send(after, { session: 'cc-1' });
    expect([a2.sessionId, a2.turnId, a2.attempt]).toEqual([a.sessionId, a.id, 2]);
    expect([b2.turnId, b2.attempt]).toEqual([b.id, 2]);
    const a3 = send(after, { messages: convo('hello', 'Hi!', 'bye') });
    expect(a3.sessionId).toBe(a.sessionId);
  });
});

// The sessions read model over a store: each session's totals, title, turns and ending
// as the list shows them, one session's turns, and a record's sibling attempts.

import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { attemptsOf, getSession, listSessions } from '../../src-main/core/sessions.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';

let store: Store | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

function withRecords(...recs: RequestRecord[]): Store {
  store = openStore({ path: ':memory:' });
  for (const r of recs) store.insert(r);
  // In memory the writes run on this thread: nothing to wait for.
  store.flush();
  return store;
}

const usage = (i: number | null, o: number | null, cached: number | null = null) => ({ inputTokens: i, outputTokens: o, reasoningTokens: null, cachedTokens: cached, totalTokens: null, estimated: false });
const convo = (messages: number, firstPrompt: string | null, prompt = firstPrompt) => ({ messages, tailHash: `t${messages}`, prompt, firstPrompt });

describe('listSessions', () => {
  it("sums a session's usage, titles it by its longest conversation and counts its turns", async () => {
    const s = withRecords(
      // Claude Code's quota check comes first; the title is the main thread's first prompt
      makeCompletedRecord({ id: 'q', sessionId: 'cc', startedAt: 1_000, endedAt: 1_100, usage: usage(3, 1), conversation: convo(1, 'quota') }),
      makeCompletedRecord({ id: 't1', sessionId: 'cc', startedAt: 2_000, endedAt: 2_500, usage: usage(100, 20, 50), conversation: convo(1, 'fix the bug') }),
      makeRecord({ id: 't2a', sessionId: 'cc', turnId: 't2a', startedAt: 3_000, endedAt: 3_400, outcome: 'upstream_disconnected', phase: 'mid_stream', eventCount: 4, usage: usage(null, null), conversation: convo(3, 'fix the bug', 'run the tests') }),
      makeCompletedRecord({ id: 't2b', sessionId: 'cc', turnId: 't2a', attempt: 2, stream: false, startedAt: 4_000, endedAt: 9_000, usage: usage(140, 30), conversation: convo(3, 'fix the bug', 'run the tests') }),
      makeCompletedRecord({ id: 'other', sessionId: 'other', startedAt: 500, endedAt: 600, usage: usage(null, null) }),
    );
    const [cc, other] = await listSessions(s, {}, 10, 10_000);
    expect(cc).toMatchObject({
      sessionId: 'cc',
      inferred: false,
      title: 'fix the bug',
      startedAt: 1_000,
      endedAt: 9_000,
      requests: 4,
      turnCount: 3,
      usage: { inputTokens: 243, outputTokens: 51, cachedTokens: 50, reasoningTokens: null, totalTokens: null, estimated: false },
      lastRequestId: 't2b',
      lastOutcome: 'completed',
      lastDiagnosis: 'The answer completed normally.',
      ending: { kind: 'completed', diagnosis: 'Completed, after one dropped stream retried without streaming.', recordId: 't2b' },
    });
    expect(cc!.costUsd).toBeGreaterThan(0);
    expect(other).toMatchObject({ sessionId: 'other', title: null, turnCount: 1, usage: { inputTokens: null, outputTokens: null }, costUsd: null });
  });

  it('ends a session on its last conversation turn, not on a later models or count_tokens call', async () => {
    const s = withRecords(
      makeRecord({ id: 'a', sessionId: 's', startedAt: 1_000, endedAt: 2_000, outcome: 'upstream_error', httpStatus: 429, error: { type: 'rate_limit_error', code: null, message: 'slow down', retryAfterS: 30 } }),
      makeCompletedRecord({ id: 'm', sessionId: 's', startedAt: 3_000, api: 'other', path: '/v1/messages/count_tokens' }),
    );
    const [sess] = await listSessions(s, {}, 10);
    expect(sess!.ending).toMatchObject({ kind: 'rate_limited', recordId: 'a', diagnosis: 'The provider rate-limited the last request of turn 1 (429, retry after 30 s); Claude Code stopped.' });
    expect(sess!.lastRequestId).toBe('m');
  });

  it('filters by ending, judging sessions until enough match', async () => {
    const recs: RequestRecord[] = [];
    for (let i = 0; i < 450; i++) {
      const failed = i % 150 === 0;
      recs.push(makeRecord({ id: `r${i}`, sessionId: `s${i}`, startedAt: 1_000 + i, endedAt: 2_000 + i, outcome: failed ? 'upstream_disconnected' : 'completed', phase: failed ? 'mid_stream' : 'complete' }));
    }
    const s = withRecords(...recs);
    expect((await listSessions(s, { ending: ['upstream_disconnected'] }, 10)).map((x) => x.sessionId)).toEqual(['s300', 's150', 's0']);
    expect((await listSessions(s, { ending: ['upstream_disconnected'] }, 2)).map((x) => x.sessionId)).toEqual(['s300', 's150']);
    expect((await listSessions(s, { ending: ['completed'] }, 5))).toHaveLength(5);
    expect((await listSessions(s, { ending: ['context_exhausted'] }, 5))).toEqual([]);
  });
});

describe('getSession and attemptsOf', () => {
  it("give one session's turns in order, each with its attempts, and a record's siblings", async () => {
    const s = withRecords(
      makeRecord({ id: 'a1', sessionId: 's', turnId: 'a1', startedAt: 1_000, endedAt: 1_500, outcome: 'upstream_error', httpStatus: 500, model: 'claude-sonnet-4-5', conversation: convo(1, 'go') }),
      makeCompletedRecord({ id: 'a2', sessionId: 's', turnId: 'a1', attempt: 2, startedAt: 2_000, endedAt: 2_500, usage: usage(1_000, 10), conversation: convo(1, 'go') }),
      makeCompletedRecord({ id: 'b1', sessionId: 's', turnId: 'b1', startedAt: 3_000, endedAt: 3_500, usage: usage(185_000, 10), conversation: convo(3, 'go', 'more') }),
    );
    const d = (await getSession(s, 's', { estimate: false }))!;
    expect(d.turns.map((t) => [t.id, t.index, t.prompt, t.attempts.map((a) => a.recordId)])).toEqual([
      ['a1', 1, 'go', ['a1', 'a2']],
      ['b1', 2, 'more', ['b1']],
    ]);
    expect(d.turns[0]!.context).toMatchObject({ inputTokens: 1_000, window: 200_000, nearLimit: false, refused: false, estimated: false });
    expect(d.turns[1]!.context).toMatchObject({ inputTokens: 185_000, nearLimit: true });
    expect(d.turns[0]!.costUsd).toBeGreaterThan(0);
    expect(d.costUsd).toBeCloseTo(d.turns[0]!.costUsd! + d.turns[1]!.costUsd!, 12);
    expect(d.turnsTruncated).toBe(false);
    expect(await getSession(s, 'nope')).toBeNull();
    expect(attemptsOf(s, 'a2')).toMatchObject({ turnId: 'a1', attempts: [{ recordId: 'a1', attempt: 1, outcome: 'upstream_error' }, { recordId: 'a2', attempt: 2, outcome: 'completed' }] });
    expect(attemptsOf(s, 'nope')).toBeNull();
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { openStore, StoreOpenError, type Store } from '../../src-main/core/db/store.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';

let dir: string;
let store: Store | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-store-'));
});

afterEach(() => {
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

function open(opts: { flushIntervalMs?: number } = {}): Store {
  store = openStore({ path: join(dir, 'db', 'streamtap.db'), flushIntervalMs: opts.flushIntervalMs ?? 60_000 });
  return store;
}

/** A second, independent connection: sees only what the store has committed. */
function peek<T>(query: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'db', 'streamtap.db'), { readonly: true });
  try {
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('records round-trip', () => {
  it('keeps every field of a full record, including nested parts and nulls', () => {
    const s = open();
    const rec = makeCompletedRecord({
      sessionId: 'sess-1',
      error: { type: 'overloaded_error', code: '529', message: 'Overloaded', retryAfterS: 1.5 },
      errorMessage: 'socket hang up',
      responseBody: { text: '{"ok":true}', bytes: 11, truncated: true },
      requestBody: { text: 'x'.repeat(50), bytes: 9000, truncated: true },
      truncated: true,
      usage: { inputTokens: 1, outputTokens: null, reasoningTokens: null, cachedTokens: 0, totalTokens: 1, estimated: true },
    });
    s.insert(rec);
    expect(s.get(rec.id)).toEqual(rec);
  });

  it('tells a missing provider error from one whose fields could not be parsed', () => {
    const s = open();
    const none = makeRecord({ error: null });
    const blank = makeRecord({ error: { type: null, code: null, message: null, retryAfterS: null } });
    s.insert(none);
    s.insert(blank);
    expect(s.get(none.id)!.error).toBeNull();
    expect(s.get(blank.id)!.error).toEqual({ type: null, code: null, message: null, retryAfterS: null });
  });

  it('returns null for an unknown id', () => {
    expect(open().get('nope')).toBeNull();
  });

  it('creates the parent folders of the database file', () => {
    open().insert(makeRecord());
    store!.flush();
    expect(peek<{ n: number }>('select count(*) as n from requests')[0]!.n).toBe(1);
  });
});

describe('write queue', () => {
  it('does not write on insert or update, only when flushed', () => {
    const s = open();
    const rec = makeRecord();
    s.insert(rec);
    s.update(rec.id, { eventCount: 3 });
    expect(peek('select id from requests')).toEqual([]);
    expect(s.status().queued).toBe(1);
    expect(s.flush()).toBe(true);
    expect(peek('select id, event_count from requests')).toEqual([{ id: rec.id, event_count: 3 }]);
    expect(s.status().queued).toBe(0);
  });

  it('flushes on its own after flushIntervalMs', async () => {
    const s = open({ flushIntervalMs: 20 });
    const rec = makeRecord();
    s.insert(rec);
    await expect.poll(() => peek('select id from requests').length, { timeout: 2_000 }).toBe(1);
  });

  it('merges an insert and the updates queued after it into one record', () => {
    const s = open();
    const rec = makeRecord();
    s.insert(rec);
    s.update(rec.id, { responseText: 'partial', eventCount: 1 });
    s.update(rec.id, { responseText: 'partial answer', outcome: 'completed', phase: 'complete' });
    expect(s.status().queued).toBe(1);
    expect(s.get(rec.id)).toEqual({
      ...rec,
      responseText: 'partial answer',
      eventCount: 1,
      outcome: 'completed',
      phase: 'complete',
    });
  });

  it('merges several updates to a stored record, the later value winning', () => {
    const s = open();
    const rec = makeRecord();
    s.insert(rec);
    s.flush();
    s.update(rec.id, { eventCount: 1, bytesOut: 10 });
    s.update(rec.id, { eventCount: 2, diagnosis: 'still going' });
    s.update(rec.id, { timings: { firstByteMs: 5, ttftMs: 9, lastEventMs: 30, durationMs: null } });
    expect(s.status().queued).toBe(1);
    expect(s.get(rec.id)).toEqual({
      ...rec,
      eventCount: 2,
      bytesOut: 10,
      diagnosis: 'still going',
      timings: { firstByteMs: 5, ttftMs: 9, lastEventMs: 30, durationMs: null },
    });
  });

  it('treats patch keys set to undefined as absent and never changes the id', () => {
    const s = open();
    const rec = makeRecord({ model: 'gpt-5' });
    s.insert(rec);
    s.flush();
    // A patch built outside the type checker (plain JS, a spread of a wider type) can
    // carry undefined; the store must treat it as absent.
    s.update(rec.id, { model: undefined, id: 'other', eventCount: 4 } as unknown as Partial<typeof rec>);
    expect(s.get(rec.id)).toEqual({ ...rec, eventCount: 4 });
    expect(s.get('other')).toBeNull();
  });

  it('keeps an update that only changes body parts (headers, events, tool calls)', () => {
    const s = open();
    const rec = makeRecord();
    s.insert(rec);
    s.flush();
    const events = [{ t: 1, event: 'ping', data: '{}' }];
    s.update(rec.id, { events, responseHeaders: { a: 'b' }, toolCalls: [{ id: null, name: 'x', arguments: '{' }] });
    expect(s.get(rec.id)).toMatchObject({ events, responseHeaders: { a: 'b' }, toolCalls: [{ id: null, name: 'x', arguments: '{' }] });
  });

  it('writes long texts (moved to the writer thread as bytes) back exactly, non-ASCII included', () => {
    const s = open();
    const text = 'héllo 🚀 流式 '.repeat(20_000);
    const rec = makeRecord({ requestBody: { text, bytes: Buffer.byteLength(text), truncated: false }, responseText: text.slice(0, 100_001) });
    s.insert(rec);
    expect(s.flush()).toBe(true);
    s.close();
    store = openStore({ path: join(dir, 'db', 'streamtap.db') });
    const back = store.get(rec.id)!;
    expect(back.requestBody.text).toBe(text);
    expect(back.responseText).toBe(text.slice(0, 100_001));
    // bound as text, not as a blob of its bytes (the body is one segment: it is not JSON)
    expect(peek<{ t: string }>('select typeof(text) as t from request_segment_texts')[0]!.t).toBe('text');
    expect(peek<{ t: string }>('select typeof(response_text) as t from request_bodies')[0]!.t).toBe('text');
  });

  it('splits large texts over several batches, and flush() still writes them all', () => {
    let batches = 0;
    store = openStore({ path: join(dir, 'db', 'streamtap.db'), flushIntervalMs: 60_000, faultInjector: () => void batches++ });
    const text = 'b'.repeat(3 * 1024 * 1024);
    const recs = Array.from({ length: 5 }, () => makeRecord({ requestBody: { text, bytes: text.length, truncated: true } }));
    for (const r of recs) store.insert(r);
    expect(store.flush()).toBe(true);
    // 15 MiB of bodies against an 8 MiB budget per batch
    expect(batches).toBeGreaterThanOrEqual(2);
    for (const r of recs) expect(store.get(r.id)!.requestBody.text.length).toBe(text.length);
    // the five equal bodies share one stored text
    expect(peek<{ n: number }>('select count(*) as n from request_segment_texts where length(text) = ?', text.length)[0]!.n).toBe(1);
  });

  it('writes 1000 queued updates in one batch per flush', () => {
    let batches = 0;
    const s = (store = openStore({ path: join(dir, 'db', 'streamtap.db'), flushIntervalMs: 60_000, faultInjector: () => void batches++ }));
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = makeRecord();
      ids.push(r.id);
      s.insert(r);
    }
    s.flush();
    const round = (n: number) => {
      for (const id of ids) {
        s.update(id, {
          eventCount: n,
          responseText: `text ${n}`,
          timings: { firstByteMs: 1, ttftMs: 2, lastEventMs: n, durationMs: null },
        });
      }
      batches = 0;
      expect(s.flush()).toBe(true);
      expect(batches).toBe(1);
    };
    // How fast it is belongs to the benchmark (npm run bench); this proves that a round of
    // 1000 updates is one write batch, not 1000.
    round(1);
    round(2);
    round(3);
    expect(peek<{ n: number }>('select count(*) as n from requests where event_count = 3')[0]!.n).toBe(1000);
  });
});

describe('reads never wait for the writer', () => {
  it('answer from the committed snapshot (get() from the queue too) while the writer thread is stalled on a lock', async () => {
    store = openStore({ path: join(dir, 'db', 'streamtap.db'), flushIntervalMs: 60_000, busyTimeoutMs: 60_000 });
    const s = store;
    const before = makeCompletedRecord({ id: 'before', startedAt: 1_000 });
    s.insert(before);
    expect(await s.written()).toBe(true);
    // Another connection holds the write lock: the writer thread's next batch waits for it.
    const locker = new Database(join(dir, 'db', 'streamtap.db'));
    locker.exec('BEGIN IMMEDIATE');
    const waits = vi.spyOn(Atomics, 'wait');
    try {
      const rec = makeRecord({ id: 'queued', startedAt: 2_000 });
      s.insert(rec);
      let settled: boolean | null = null;
      const written = s.written().then((ok) => (settled = ok));
      s.update(rec.id, { eventCount: 7 });
      // Asked while the first batch is in flight: waits for it, then for the update queued behind it.
      let secondSettled = false;
      const second = s.written().then((ok) => ((secondSettled = true), ok));
      // Each read returns while the batch is still stuck behind the lock.
      expect(s.list({}, { limit: 10 }).map((r) => r.id)).toEqual(['before']);
      expect(s.count({})).toBe(1);
      expect(s.summary({}).requests).toBe(1);
      expect([...s.iterate({})].map((r) => r.id)).toEqual(['before']);
      expect(s.get(rec.id)).toEqual({ ...rec, eventCount: 7 });
      expect(s.requestBody(rec.id)).toEqual(rec.requestBody);
      expect(s.get(before.id)).toEqual(before);
      await new Promise((r) => setImmediate(r));
      expect(settled).toBeNull();
      expect(secondSettled).toBe(false);
      expect(waits).not.toHaveBeenCalled();
      locker.exec('ROLLBACK');
      await written;
      expect(settled).toBe(true);
      // What written() waited for is in every read; the later update follows.
      expect(s.list({}, { limit: 10 }).map((r) => r.id)).toEqual(['queued', 'before']);
      expect(await second).toBe(true);
      expect(peek<{ n: number }>('select event_count as n from requests where id = ?', rec.id)).toEqual([{ n: 7 }]);
      expect(s.get(rec.id)).toEqual({ ...rec, eventCount: 7 });
      expect(waits).not.toHaveBeenCalled();
    } finally {
      waits.mockRestore();
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
    }
  });

  it('written() resolves at once with nothing queued, and false when writing fails', async () => {
    let fail = false;
    store = openStore({ path: join(dir, 'db', 'streamtap.db'), flushIntervalMs: 60_000, faultInjector: () => {
      if (fail) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    } });
    expect(await store.written()).toBe(true);
    fail = true;
    store.insert(makeRecord());
    expect(await store.written()).toBe(false);
    expect(store.status().degraded).toBe(true);
    fail = false;
    await expect.poll(() => store!.status().degraded, { timeout: 5_000 }).toBe(false);
    expect(store.count({})).toBe(1);
  });
});

describe('list', () => {
  it('pages newest first with a keyset cursor, without gaps or repeats, even when start times tie', async () => {
    const s = open();
    const recs: RequestRecord[] = [];
    for (let i = 0; i < 25; i++) {
      // groups of three records share a start time
      recs.push(makeRecord({ id: `r${String(i).padStart(2, '0')}`, startedAt: 1_000 + Math.floor(i / 3) }));
    }
    for (const r of [...recs].reverse()) s.insert(r);
    expect(await s.written()).toBe(true);
    const seen: string[] = [];
    let before: { startedAt: number; id: string } | undefined;
    for (;;) {
      const page = s.list({}, { limit: 4, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(...page.map((p) => p.id));
      const last = page[page.length - 1]!;
      before = { startedAt: last.startedAt, id: last.id };
    }
    const expected = [...recs]
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    expect(seen).toEqual(expected);
  });

  it('returns light summaries with the first 200 characters of the answer', async () => {
    const s = open();
    // a surrogate pair straddles the cut: it must not be split in half
    const text = `${'a'.repeat(199)}😀tail`;
    const rec = makeCompletedRecord({ responseText: text });
    s.insert(rec);
    await s.written();
    const [row] = s.list({}, { limit: 10 });
    expect(row!.responseTextPreview).toBe('a'.repeat(199));
    expect(row).not.toHaveProperty('responseText');
    expect(row).not.toHaveProperty('events');
    expect(row).not.toHaveProperty('requestBody');
    expect(row).toMatchObject({ id: rec.id, usage: rec.usage, timings: rec.timings, evidence: rec.evidence });
  });

  it('returns nothing for a non-positive limit', () => {
    const s = open();
    s.insert(makeRecord());
    expect(s.list({}, { limit: 0 })).toEqual([]);
  });

  it('is served by the started_at index without a sort step', () => {
    const s = open();
    s.insert(makeRecord());
    s.flush();
    const plans = [
      'select * from requests order by started_at desc, id desc limit 200',
      'select * from requests where (started_at, id) < (5, \'x\') order by started_at desc, id desc limit 200',
      "select * from requests where outcome = 'completed' order by started_at desc, id desc limit 200",
      "select * from requests where session_id = 's' order by started_at desc, id desc limit 200",
      "select * from requests where model = 'm' order by started_at desc, id desc limit 200",
    ].map((q) => peek<{ detail: string }>(`explain query plan ${q}`).map((r) => r.detail).join('; '));
    for (const plan of plans) {
      expect(plan).toMatch(/USING (COVERING )?INDEX requests_/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});

describe('filters', () => {
  async function seed(s: Store): Promise<Record<string, RequestRecord>> {
    const recs = {
      a: makeCompletedRecord({ id: 'a', startedAt: 100, model: 'gpt-5', client: 'codex_exec', upstream: 'openai', sessionId: 's1' }),
      b: makeCompletedRecord({ id: 'b', startedAt: 200, stopReason: 'max_tokens', truncated: true, sessionId: 's1' }),
      c: makeRecord({ id: 'c', startedAt: 300, outcome: 'client_aborted', phase: 'mid_stream', responseText: 'price is 50% off' }),
      d: makeRecord({
        id: 'd',
        startedAt: 400,
        outcome: 'upstream_error',
        requestBody: { text: 'find the 500 errors_here', bytes: 24, truncated: false },
        conversation: { messages: 1, tailHash: 'h', prompt: 'the 500 errors_here', firstPrompt: null },
      }),
      e: makeRecord({ id: 'e', startedAt: 500, outcome: 'completed', truncated: true, sessionId: 's2' }),
    };
    for (const r of Object.values(recs)) s.insert(r);
    await s.written();
    return recs;
  }
  const ids = (s: Store, f: Parameters<Store['list']>[0]) =>
    s
      .list(f, { limit: 100 })
      .map((r) => r.id)
      .sort();

  it('filters by time range (since inclusive, until exclusive)', async () => {
    const s = open();
    await seed(s);
    expect(ids(s, { since: 200, until: 400 })).toEqual(['b', 'c']);
  });

  it('filters by outcome, model, client, upstream and session', async () => {
    const s = open();
    await seed(s);
    expect(ids(s, { outcome: ['client_aborted', 'upstream_error'] })).toEqual(['c', 'd']);
    expect(ids(s, { model: ['gpt-5'] })).toEqual(['a']);
    expect(ids(s, { client: ['codex_exec'] })).toEqual(['a']);
    expect(ids(s, { upstream: ['openai'] })).toEqual(['a']);
    expect(ids(s, { session: ['s1', 's2'] })).toEqual(['a', 'b', 'e']);
  });

  it('treats empty lists and empty text as no constraint', async () => {
    const s = open();
    await seed(s);
    expect(ids(s, { outcome: [], model: [], text: '' })).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('truncated: true means completed and truncated; false means the rest', async () => {
    const s = open();
    await seed(s);
    s.insert(makeRecord({ id: 'f', startedAt: 600, outcome: 'client_aborted', truncated: true }));
    await s.written();
    expect(ids(s, { truncated: true })).toEqual(['b', 'e']);
    expect(ids(s, { truncated: false })).toEqual(['a', 'c', 'd', 'f']);
  });

  it('searches words of answers and prompts (the last word a prefix), not request bodies, taking % and _ as separators', async () => {
    const s = open();
    await seed(s);
    // the word 50, a prefix: of d's 500 too
    expect(ids(s, { text: '50%' })).toEqual(['c', 'd']);
    expect(ids(s, { text: '50% off' })).toEqual(['c']);
    expect(ids(s, { text: 'PRICE' })).toEqual(['c']);
    expect(ids(s, { text: 'pri' })).toEqual(['c']);
    expect(ids(s, { text: 'pri off' })).toEqual([]);
    expect(ids(s, { text: 'errors_here' })).toEqual(['d']);
    expect(ids(s, { text: 'errorsXhere' })).toEqual([]);
    // 'find' is in d's request body only
    expect(ids(s, { text: 'find' })).toEqual([]);
  });

  it('combines filters with AND in count() as in list()', async () => {
    const s = open();
    await seed(s);
    expect(s.count({})).toBe(5);
    expect(s.count({ session: ['s1'], truncated: true })).toBe(1);
    expect(s.count({ outcome: ['completed'], since: 150 })).toBe(2);
  });
});

describe('summary', () => {
  it('counts outcomes (all of them, zero included), truncation, tokens and the median TTFT', async () => {
    const s = open();
    const usage = (i: number, o: number | null) => ({ inputTokens: i, outputTokens: o, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false });
    const timings = (ttft: number | null) => ({ firstByteMs: null, ttftMs: ttft, lastEventMs: null, durationMs: null });
    s.insert(makeCompletedRecord({ usage: usage(10, 5), timings: timings(100) }));
    s.insert(makeCompletedRecord({ truncated: true, stopReason: 'length', usage: usage(20, 7), timings: timings(300) }));
    s.insert(makeRecord({ outcome: 'client_aborted', usage: usage(1, null), timings: timings(200) }));
    s.insert(makeRecord({ outcome: 'upstream_unreachable', timings: timings(null) }));
    await s.written();
    const sum = s.summary({});
    expect(sum).toEqual({
      requests: 4,
      byOutcome: {
        in_progress: 0,
        completed: 2,
        client_aborted: 1,
        upstream_error: 0,
        upstream_disconnected: 0,
        upstream_unreachable: 1,
        timeout: 0,
        interrupted: 0,
      },
      truncated: 1,
      inputTokens: 31,
      outputTokens: 12,
      medianTtftMs: 200,
    });
    s.insert(makeRecord({ timings: timings(1000) }));
    await s.written();
    expect(s.summary({}).medianTtftMs).toBe(250); // even count: mean of the middle two
    expect(s.summary({ outcome: ['upstream_unreachable'] }).medianTtftMs).toBeNull();
  });
});

describe('iterate', () => {
  it('yields every matching full record, a page at a time, in either order', async () => {
    const s = open();
    const all: RequestRecord[] = [];
    for (let i = 0; i < 450; i++) {
      const r = makeCompletedRecord({ startedAt: 10_000 + Math.floor(i / 2), outcome: i % 3 === 0 ? 'timeout' : 'completed' });
      all.push(r);
      s.insert(r);
    }
    await s.written();
    const asc = [...s.iterate({ outcome: ['completed'] })];
    const expected = all.filter((r) => r.outcome === 'completed').sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
    expect(asc.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(asc[0]).toEqual(expected[0]);
    const desc = [...s.iterate({ outcome: ['completed'] }, 'desc')];
    expect(desc.map((r) => r.id)).toEqual(expected.map((r) => r.id).reverse());
  });
});

describe('distinct and sessions', () => {
  it('lists the distinct non-null values of a column, sorted', async () => {
    const s = open();
    s.insert(makeRecord({ model: 'b-model' }));
    s.insert(makeRecord({ model: 'a-model' }));
    s.insert(makeRecord({ model: 'b-model' }));
    s.insert(makeRecord({ model: null, sessionId: 'x' }));
    await s.written();
    expect(s.distinct('model')).toEqual(['a-model', 'b-model']);
    expect(s.distinct('session_id')).toEqual(['x']);
    expect(() => s.distinct('path' as never)).toThrow(/Unknown column/);
  });

  it('lists session ids: those with a matching request, the session whose latest request started last first', async () => {
    const s = open();
    s.insert(makeCompletedRecord({ id: 's1-a', sessionId: 's1', startedAt: 1_000, endedAt: 2_000 }));
    s.insert(makeRecord({ id: 's1-b', sessionId: 's1', startedAt: 3_000, endedAt: 9_000, outcome: 'upstream_disconnected' }));
    s.insert(makeCompletedRecord({ id: 's2-a', sessionId: 'inferred:s2-a', sessionInferred: true, startedAt: 5_000, endedAt: 6_000 }));
    s.insert(makeCompletedRecord({ id: 'none', sessionId: null, startedAt: 7_000 }));
    await s.written();
    expect(s.sessionIds({}, 10)).toEqual(['inferred:s2-a', 's1']);
    expect(s.sessionIds({}, 1)).toEqual(['inferred:s2-a']);
    expect(s.sessionIds({}, 0)).toEqual([]);
    // any matching request picks its session
    expect(s.sessionIds({ until: 2_000 }, 10)).toEqual(['s1']);
    expect(s.sessionIds({ outcome: ['upstream_disconnected'] }, 10)).toEqual(['s1']);
    expect(s.sessionIds({ session: ['inferred:s2-a'] }, 10)).toEqual(['inferred:s2-a']);
  });

  it("reads sessions' ledgers, turns' attempts, a request's turn and its body", async () => {
    const s = open();
    s.insert(makeRecord({ id: 'a1', sessionId: 's1', turnId: 'a1', attempt: 1, startedAt: 1_000, outcome: 'upstream_disconnected', responseModel: 'claude-sonnet-4-5-20250929' }));
    s.insert(makeRecord({ id: 'a2', sessionId: 's1', turnId: 'a1', attempt: 2, startedAt: 2_000, outcome: 'completed', usage: { inputTokens: 9, outputTokens: 3, reasoningTokens: null, cachedTokens: 4, totalTokens: 12, estimated: false } }));
    s.insert(makeRecord({ id: 'b1', sessionId: 's2', turnId: 'b1', startedAt: 1_500 }));
    await s.written();
    expect(s.sessionLedger(['s1', 's2']).map((r) => [r.id, r.sessionId, r.turnId])).toEqual([
      ['a1', 's1', 'a1'],
      ['b1', 's2', 'b1'],
      ['a2', 's1', 'a1'],
    ]);
    expect(s.sessionLedger(['s1'])[0]).toMatchObject({ model: 'claude-sonnet-4-5-20250929', upstream: 'anthropic', api: 'messages', sessionInferred: false, messages: null });
    expect(s.sessionLedger(['s1'])[1]).toMatchObject({ model: 'claude-sonnet-4-5', usage: { inputTokens: 9, cachedTokens: 4, outputTokens: 3 }, outcome: 'completed' });
    expect(s.turnAttempts(['a1']).map((r) => [r.id, r.attempt])).toEqual([
      ['a1', 1],
      ['a2', 2],
    ]);
    expect([s.turnIdOf('a2'), s.turnIdOf('b1'), s.turnIdOf('nope')]).toEqual(['a1', 'b1', null]);
    expect(s.requestBody('a1')).toEqual(makeRecord().requestBody);
    expect(s.requestBody('nope')).toBeNull();
  });
});

describe('maintenance', () => {
  it('marks records left in progress as interrupted, ending at their last known activity', async () => {
    const s = open();
    const live = makeRecord({
      startedAt: 50_000,
      phase: 'mid_stream',
      responseText: 'half an ans',
      timings: { firstByteMs: 100, ttftMs: 400, lastEventMs: 2_500, durationMs: null },
    });
    const early = makeRecord({ startedAt: 60_000 });
    const done = makeCompletedRecord();
    s.insert(live);
    s.insert(early);
    s.insert(done);
    const seen: RequestRecord[] = [];
    const n = await s.recoverInterrupted((rec) => {
      seen.push(rec);
      return { diagnosis: `stopped after ${rec.timings.durationMs} ms`, phase: rec.phase ?? 'before_response' };
    });
    expect(n).toBe(2);
    expect(seen.map((r) => r.outcome)).toEqual(['interrupted', 'interrupted']);
    expect(s.get(live.id)).toEqual({
      ...live,
      outcome: 'interrupted',
      endedAt: 52_500,
      timings: { ...live.timings, durationMs: 2_500 },
      evidence: { ...live.evidence, closeSide: 'proxy' },
      diagnosis: 'stopped after 2500 ms',
      phase: 'mid_stream',
    });
    expect(s.get(early.id)).toMatchObject({ outcome: 'interrupted', endedAt: 60_000, phase: 'before_response' });
    expect(s.get(done.id)).toEqual(done);
    expect(await s.recoverInterrupted(() => ({ diagnosis: '', phase: null }))).toBe(0);
  });

  it('writes queued records on close, and close can be called twice', () => {
    const s = open();
    const rec = makeRecord();
    s.insert(rec);
    s.close();
    s.close();
    store = openStore({ path: join(dir, 'db', 'streamtap.db') });
    expect(store.get(rec.id)).toEqual(rec);
  });

  it('refuses reads after close with a clear error', () => {
    const s = open();
    s.close();
    expect(() => s.list({}, { limit: 1 })).toThrow(/closed/);
  });
});

describe('opening', () => {
  it('refuses a file that is not a database with a one-line error naming it', () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not SQLite\n'.repeat(200));
    let err: unknown;
    try {
      openStore({ path: file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as StoreOpenError).message).toBe(`${file} is not a Streamtap database (it is not an SQLite file)`);
    expect((err as StoreOpenError).code).toBe('SQLITE_NOTADB');
  });

  it('reports a path that cannot be opened as a database file', () => {
    expect(() => openStore({ path: dir })).toThrow(StoreOpenError);
    expect(() => openStore({ path: dir })).toThrow(new RegExp(`^Cannot open ${dir} \\(it is a folder, not a database file\\)$`));
  });

  it('puts the file in WAL mode so readers never block the writer', () => {
    open();
    expect(peek<{ journal_mode: string }>('pragma journal_mode')[0]!.journal_mode).toBe('wal');
  });
});

// The store when writes fail: nothing already written is harmed, nothing is thrown at
// the recorder, queued writes wait (bounded) and land once the fault clears.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { openStore, type OpenStoreOptions, type Store, type StoreStatus } from '../../src-main/core/db/store.js';
import { makeRecord } from '../fixtures/store-records.js';

let dir: string;
let file: string;
let store: Store | null = null;
let fault: Error | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-degraded-'));
  file = join(dir, 'streamtap.db');
  fault = null;
});

afterEach(() => {
  vi.useRealTimers();
  fault = null;
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

function diskFull(): Error {
  return new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
}

function open(opts: Partial<OpenStoreOptions> = {}): Store {
  store = openStore({
    path: file,
    flushIntervalMs: 10,
    faultInjector: () => {
      if (fault) throw fault;
    },
    ...opts,
  });
  return store;
}

/** What is on disk, through a separate connection. */
function onDisk(id: string): { outcome: string; diagnosis: string; event_count: number } | undefined {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select outcome, diagnosis, event_count from requests where id = ?').get(id) as
      | { outcome: string; diagnosis: string; event_count: number }
      | undefined;
  } finally {
    db.close();
  }
}

describe('when writes fail', () => {
  it('keeps the queue, reports degraded, and writes everything once the fault clears', async () => {
    const statuses: StoreStatus[] = [];
    const s = open({ now: () => 42_000 });
    s.onStatus((st) => statuses.push(st));
    const before = makeRecord();
    s.insert(before);
    expect(s.flush()).toBe(true);

    fault = diskFull();
    const during = makeRecord();
    expect(() => {
      s.insert(during);
      s.update(before.id, { outcome: 'completed', phase: 'complete', diagnosis: 'done' });
    }).not.toThrow();
    expect(s.flush()).toBe(false);
    expect(s.status()).toEqual({ degraded: true, queued: 2, dropped: 0, lastError: 'database or disk is full', since: 42_000 });
    expect(statuses.map((x) => x.degraded)).toEqual([true]);
    // the record written before the fault is intact; the queued ones are not on disk yet
    expect(onDisk(before.id)).toEqual({ outcome: 'in_progress', diagnosis: '', event_count: 0 });
    expect(onDisk(during.id)).toBeUndefined();

    fault = null;
    // no explicit flush: the retry timer must get there by itself
    await vi.waitFor(() => expect(s.status().degraded).toBe(false), { timeout: 3_000, interval: 20 });
    expect(s.status()).toEqual({ degraded: false, queued: 0, dropped: 0, lastError: null, since: null });
    expect(statuses.map((x) => x.degraded)).toEqual([true, false]);
    expect(onDisk(before.id)).toEqual({ outcome: 'completed', diagnosis: 'done', event_count: 0 });
    expect(s.get(during.id)).toEqual(during);
  });

  it('retries with a backoff that doubles from 100 ms up to 5 s', () => {
    vi.useFakeTimers({ now: 0 });
    const attempts: number[] = [];
    const s = open({
      faultInjector: () => {
        attempts.push(Date.now());
        throw diskFull();
      },
    });
    s.insert(makeRecord());
    vi.advanceTimersByTime(10 + 100 + 200 + 400 + 800 + 1_600 + 3_200 + 5_000 + 5_000);
    expect(attempts).toEqual([10, 110, 310, 710, 1_510, 3_110, 6_310, 11_310, 16_310]);
    expect(s.status().degraded).toBe(true);
    fault = null;
    s.close(); // the fault never cleared: the queued insert is lost, and counted
    expect(s.status().dropped).toBe(1);
  });

  it('survives a write lock held by another connection (SQLITE_BUSY) and reads meanwhile', async () => {
    const s = open({ busyTimeoutMs: 20 });
    const before = makeRecord();
    s.insert(before);
    s.flush();

    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const during = makeRecord();
      s.insert(during);
      expect(s.flush()).toBe(false);
      expect(s.status()).toMatchObject({ degraded: true, queued: 1 });
      expect(s.status().lastError).toMatch(/database is locked/);
      // reads keep working: the stored record from disk, the queued one from the queue
      expect(s.get(before.id)).toEqual(before);
      expect(s.get(during.id)).toEqual(during);
      expect(s.list({}, { limit: 10 }).map((r) => r.id)).toEqual([before.id]);
      other.exec('COMMIT');
      await vi.waitFor(() => expect(s.status().degraded).toBe(false), { timeout: 3_000, interval: 20 });
      expect(onDisk(during.id)).toMatchObject({ outcome: 'in_progress' });
      expect(s.list({}, { limit: 10 }).map((r) => r.id).sort()).toEqual([before.id, during.id].sort());
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('does not retry the write on every read while degraded', () => {
    let calls = 0;
    const s = open({
      faultInjector: () => {
        calls++;
        throw diskFull();
      },
    });
    s.insert(makeRecord());
    s.flush();
    const afterFirst = calls;
    s.list({}, { limit: 10 });
    s.count({});
    s.summary({});
    expect(calls).toBe(afterFirst);
  });
});

describe('a full queue', () => {
  it('drops the oldest checkpoints first, then final updates, and inserts only when nothing else is left', () => {
    const s = open({ maxQueue: 4 });
    const c1 = makeRecord();
    const c2 = makeRecord();
    const f1 = makeRecord();
    const f2 = makeRecord();
    for (const r of [c1, c2, f1, f2]) s.insert(r);
    s.flush();

    fault = diskFull();
    s.update(f2.id, { eventCount: 1 }); // a checkpoint at first…
    s.update(c1.id, { eventCount: 1 });
    s.update(f1.id, { outcome: 'completed', diagnosis: 'f1 done' });
    s.update(c2.id, { eventCount: 2 });
    s.update(f2.id, { outcome: 'client_aborted', diagnosis: 'f2 done' }); // …then final: no longer first to go
    const inserts: RequestRecord[] = [];
    const add = () => {
      const r = makeRecord();
      inserts.push(r);
      s.insert(r);
    };
    add(); // 5 queued: drops c1's checkpoint
    expect(s.status()).toMatchObject({ queued: 4, dropped: 1 });
    add(); // drops c2's checkpoint
    add(); // no checkpoints left: drops the oldest final update (f1 became final before f2)
    expect(s.get(f1.id)!.outcome).toBe('in_progress');
    expect(s.get(f2.id)!.outcome).toBe('client_aborted'); // still queued
    add(); // drops f2's final update
    add(); // only inserts left: the oldest insert goes
    expect(s.status()).toMatchObject({ queued: 4, dropped: 5 });

    fault = null;
    expect(s.flush()).toBe(true);
    expect(onDisk(c1.id)).toMatchObject({ event_count: 0 });
    expect(onDisk(c2.id)).toMatchObject({ event_count: 0 });
    expect(onDisk(f1.id)).toMatchObject({ outcome: 'in_progress' });
    expect(onDisk(f2.id)).toMatchObject({ outcome: 'in_progress' });
    expect(onDisk(inserts[0]!.id)).toBeUndefined();
    for (const r of inserts.slice(1)) expect(s.get(r.id)).toEqual(r);
  });
});

describe('bad input', () => {
  it('sets aside a record SQLite rejects and writes the rest of the batch', () => {
    const s = open();
    const good1 = makeRecord();
    const bad = makeRecord({ upstream: null as unknown as string });
    const good2 = makeRecord();
    s.insert(good1);
    s.insert(bad);
    s.insert(good2);
    expect(s.flush()).toBe(true);
    expect(s.get(good1.id)).toEqual(good1);
    expect(s.get(good2.id)).toEqual(good2);
    expect(s.get(bad.id)).toBeNull();
    const st = s.status();
    expect(st).toMatchObject({ degraded: false, queued: 0, dropped: 1 });
    expect(st.lastError).toContain(bad.id);
    expect(st.lastError).toMatch(/NOT NULL/);
  });

  it('never throws from insert or update, even with garbage or after close', () => {
    const s = open();
    expect(() => s.insert({} as RequestRecord)).not.toThrow();
    expect(() => s.update(undefined as unknown as string, {})).not.toThrow();
    s.close();
    expect(() => s.insert(makeRecord())).not.toThrow();
    expect(() => s.update('x', { eventCount: 1 })).not.toThrow();
    expect(s.status().dropped).toBe(4);
  });

  it('keeps notifying other listeners when one throws, and stops after unsubscribe', () => {
    const s = open();
    const seen: boolean[] = [];
    s.onStatus(() => {
      throw new Error('listener bug');
    });
    const off = s.onStatus((st) => seen.push(st.degraded));
    fault = diskFull();
    s.insert(makeRecord());
    expect(() => s.flush()).not.toThrow();
    off();
    fault = null;
    expect(s.flush()).toBe(true);
    expect(seen).toEqual([true]);
  });
});

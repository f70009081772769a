// The proxy's thread never waits for the store's writer thread: with the database's
// write lock held by another connection (the writer stalls, then fails and retries), a
// stream still flows to its end, the status is pushed with the new request counted, and
// the dashboard's reads answer. Atomics.wait is how this thread would block on the writer
// (the store's synchronous flush): it must not be called on the way.

import Database from 'better-sqlite3';
import { afterEach, expect, it, vi } from 'vitest';
import type { AppStatus, LiveEvent } from '../../src-main/common/contract.js';
import { resolveConfig } from '../../src-main/core/config.js';
import { createEngine, localMidnight } from '../../src-main/core/create-core.js';
import { openStore } from '../../src-main/core/db/store.js';
import { makeCompletedRecord } from '../fixtures/store-records.js';
import { scenarioHeader } from '../fixtures/fake-upstream.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = null;
});

it('with the writer stalled on a lock, a stream flows, status is pushed and reads answer without the proxy thread waiting', async () => {
  h = await startHarness();
  const api = h.core.api;
  const statuses: AppStatus[] = [];
  let pushedSeq = 0;
  const stopFeed = h.core.live.subscribe((ev: LiveEvent) => {
    if (ev.type === 'status') statuses.push(ev.status);
    if (ev.type === 'records') pushedSeq = Math.max(pushedSeq, ev.seq);
  });
  const locker = new Database(h.dbPath);
  locker.exec('BEGIN IMMEDIATE');
  const waits = vi.spyOn(Atomics, 'wait');
  try {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 20, chunkDelayMs: 10 }) },
      body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const reader = res.body!.getReader();
    let body = '';
    const decoder = new TextDecoder();
    for (let i = 0; i < 1_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
      // Reads and status while the stream runs, as an open dashboard makes them.
      // Nothing is committed while the lock is held: the list says it reflects no change.
      expect(await api['requests.list']({ filter: {}, limit: 10 })).toEqual({ seq: 0, records: [] });
      await api['status.get']({});
    }
    expect(body).toContain('[DONE]');
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    // The record is shown from the store's queue while the disk is locked.
    expect((await api['requests.get']({ id: rec!.id }))?.outcome).toBe('completed');
    await vi.waitFor(() => expect(statuses.at(-1)?.requestsToday).toBe(1));
    expect(locker.prepare('select count(*) as n from requests').get()).toEqual({ n: 0 });
    expect(waits).not.toHaveBeenCalled();

    locker.exec('ROLLBACK');
    // The store retries, and the list then has the request.
    await expect.poll(async () => (await api['requests.list']({ filter: {}, limit: 10 })).records.map((r) => r.id), { timeout: 10_000 }).toEqual([rec!.id]);
    // Once committed, the list reflects every change pushed (the finish included). The
    // rows are visible to the reading connection as soon as the retry commits, a moment
    // before this thread has the writer's answer and leaves the degraded state, in
    // which a list claims only what it knew committed: on a busy machine a list can
    // fall in that moment, so the claim is waited for too.
    await expect.poll(async () => (await api['requests.list']({ filter: {}, limit: 10 })).seq, { timeout: 10_000 }).toBeGreaterThanOrEqual(pushedSeq);
    expect((await api['status.get']({})).requestsToday).toBe(1);
    expect(waits).not.toHaveBeenCalled();
  } finally {
    stopFeed();
    waits.mockRestore();
    if (locker.inTransaction) locker.exec('ROLLBACK');
    locker.close();
  }
});

it("counts today's requests from the database once at start, then as they are recorded", async () => {
  h = await startHarness();
  const dbPath = h.dbPath;
  await h.core.stop();
  const today = localMidnight(Date.now());
  const seeded = openStore({ path: dbPath });
  seeded.insert(makeCompletedRecord({ startedAt: today - 60_000 }));
  seeded.insert(makeCompletedRecord({ startedAt: today + 1 }));
  seeded.insert(makeCompletedRecord({ startedAt: Date.now() }));
  seeded.close();
  const next = await startHarness({ dbPath });
  try {
    expect(next.core.api['status.get']({}).requestsToday).toBe(2);
    const res = await fetch(`${next.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    await next.waitForFinished(1);
    expect(next.core.api['status.get']({}).requestsToday).toBe(3);
  } finally {
    await next.close();
  }
  // Only today's requests are read at start: yesterday's is in no count.
  const engine = createEngine(resolveConfig({ dbPath, port: 0 }));
  try {
    await engine.start();
    expect(engine.requestsToday(today - 1)).toBe(0);
  } finally {
    await engine.stop();
  }
});

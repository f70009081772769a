// A store failure never breaks the client's request: while another process holds the
// database's write lock, the proxy keeps forwarding, reports recording as degraded,
// queues the writes, and lands them once the lock is gone.

import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from './harness.js';
import { waitUntil } from '../fixtures/wait.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});


it('keeps forwarding while the database is locked, reports degraded, then records everything', async () => {
  h = await startHarness();
  const statuses: boolean[] = [];
  // Every status the store reports, as it happens (the live feed would coalesce them).
  h.engine.onStatus((s) => statuses.push(s.store.degraded));
  const before = await rawRequest(h.url, { path: '/v1/chat/completions', body: { model: 'gpt-5', stream: true, messages: [] } });
  await before.text();
  await h.waitForFinished(1);
  h.core.flushNow(10_000);

  const locker = new Database(h.dbPath);
  locker.exec('BEGIN EXCLUSIVE');
  try {
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(h.url, { path: '/v1/messages', body: { model: 'claude-sonnet-4-6', max_tokens: 5, stream: true, messages: [] } });
      expect(res.status).toBe(200);
      answers.push(await res.text());
    }
    for (const a of answers) expect(a).toContain('event: message_stop');
    await waitUntil('the store to report degraded', () => h!.core.api['status.get']({}).storeDegraded, { timeoutMs: 3_000 });
    // While a retry is in flight its writes are not counted as queued: wait for a moment between retries.
    await waitUntil('writes to queue up', () => h!.core.api['status.get']({}).queuedWrites > 0, { timeoutMs: 3_000 });
  } finally {
    locker.exec('ROLLBACK');
    locker.close();
  }
  await waitUntil('the store to recover and drain its queue', () => {
    const s = h!.core.api['status.get']({});
    return !s.storeDegraded && s.queuedWrites === 0;
  });
  expect(statuses).toContain(true);
  expect(statuses.at(-1)).toBe(false);
  const recs = await h.waitForFinished(4);
  expect(recs.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed', 'completed']);
  expect(await h.count()).toBe(4);
  // what was written before the fault is intact
  expect((await h.core.api['requests.get']({ id: recs[0]!.id }))?.responseText.length).toBeGreaterThan(0);
});

// requests.histogram (issue 10, item 7): the timeline's small chart of requests and
// failures over time counts the whole filtered set in the store, not the loaded page.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';

let dir: string;
let store: Store | null = null;
afterEach(() => {
  store?.close();
  store = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the store histogram', () => {
  it('counts requests and the cut-off-or-failed ones per bucket, over the filter or the data span', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-hist-'));
    store = openStore({ path: path.join(dir, 'h.db'), maxQueue: 1_000 });
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 100; i++) {
      const startedAt = t0 + i * 1_000;
      if (i % 10 === 0) store.insert(makeRecord({ id: `f${i}`, startedAt, outcome: 'upstream_error', httpStatus: 429, model: 'm' }));
      else if (i === 55) store.insert(makeCompletedRecord({ id: `t${i}`, startedAt, truncated: true, stopReason: 'length', model: 'm' }));
      else if (i === 99) store.insert(makeRecord({ id: `l${i}`, startedAt, outcome: 'in_progress', model: 'm' }));
      else store.insert(makeCompletedRecord({ id: `c${i}`, startedAt, model: i < 50 ? 'm' : 'other' }));
    }
    store.flush();
    const h = store.histogram({}, 10);
    expect(h.from).toBe(t0);
    expect(h.requests.reduce((a, b) => a + b, 0)).toBe(100);
    expect(h.requests).toEqual(new Array(10).fill(10));
    // 10 upstream errors, one per bucket, and the truncated answer in bucket 5
    expect(h.failed).toEqual([1, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
    const since = store.histogram({ since: t0 + 50_000, until: t0 + 60_000 }, 5);
    expect(since).toMatchObject({ from: t0 + 50_000, bucketMs: 2_000 });
    expect(since.requests).toEqual([2, 2, 2, 2, 2]);
    expect(store.histogram({ model: ['nothing'] }, 4).requests).toEqual([0, 0, 0, 0]);
  });

  it('counts a time window by ranges as the grouped query counts any other filter', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-hist-'));
    store = openStore({ path: path.join(dir, 'h.db'), maxQueue: 1_000 });
    const t0 = 1_700_000_000_000;
    const outcomes = ['completed', 'client_aborted', 'timeout', 'in_progress', 'upstream_error'] as const;
    for (let i = 0; i < 97; i++) {
      const startedAt = t0 + i * 997 + (i % 7) * 13;
      const outcome = outcomes[i % outcomes.length]!;
      if (outcome === 'completed') store.insert(makeCompletedRecord({ id: `r${i}`, startedAt, truncated: i % 3 === 0, upstream: 'openai' }));
      else store.insert(makeRecord({ id: `r${i}`, startedAt, outcome, upstream: 'openai' }));
    }
    store.flush();
    // upstream: every record's, so the same rows, counted by the grouped query instead
    for (const [filter, buckets] of [[{}, 7], [{ since: t0 + 5_000 }, 13], [{ since: t0 + 3_333, until: t0 + 70_001 }, 500], [{ until: t0 + 20_000, text: '"*' }, 1]] as const) {
      const byRanges = store.histogram(filter, buckets);
      const grouped = store.histogram({ ...filter, upstream: ['openai'] }, buckets);
      expect(byRanges).toEqual(grouped);
      expect(byRanges.failed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  });
});

// The store's write queue on its own, without SQLite: merging per record, the text
// budget of a batch, eviction order when full, and a failed batch going back in front.

import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { WriteQueue, type QueuedEntry } from '../../src-main/core/db/write-queue.js';
import { makeRecord } from '../fixtures/store-records.js';

const ids = (q: WriteQueue) => [...q.ids()];
/** A patch as a caller built with spread options may pass it: keys present, values undefined. */
const loose = (patch: Record<string, unknown>) => patch as Partial<RequestRecord>;

describe('merging per record', () => {
  it('folds updates into a queued insert, on the queue’s own copy of the record', () => {
    const q = new WriteQueue(10);
    const rec = makeRecord({ id: 'a', bytesOut: 0 });
    q.insert(rec);
    expect(q.update('a', { bytesOut: 10 })).toBe(true);
    expect(q.update('a', { bytesOut: 20, outcome: 'completed' })).toBe(true);
    expect(q.size).toBe(1);
    expect(q.get('a')).toEqual({ kind: 'insert', rec: { ...rec, bytesOut: 20, outcome: 'completed' } });
    expect(rec.bytesOut).toBe(0);
  });

  it('merges patches into one and keeps it final once a patch settles the outcome', () => {
    const q = new WriteQueue(10);
    q.update('a', { bytesOut: 1 });
    expect(q.get('a')).toEqual({ kind: 'update', patch: { bytesOut: 1 }, final: false });
    q.update('a', { outcome: 'client_aborted' });
    q.update('a', { bytesOut: 2 });
    expect(q.get('a')).toEqual({ kind: 'update', patch: { bytesOut: 2, outcome: 'client_aborted' }, final: true });
  });

  it('queues nothing for a patch of undefined fields or of the id alone', () => {
    const q = new WriteQueue(10);
    expect(q.update('a', loose({ bytesOut: undefined, id: 'b' }))).toBe(false);
    expect(q.size).toBe(0);
    q.update('a', { bytesOut: 1 });
    expect(q.update('a', loose({ bytesOut: undefined }))).toBe(false);
    expect(q.get('a')).toEqual({ kind: 'update', patch: { bytesOut: 1 }, final: false });
  });

  it('an in_progress outcome does not make a patch final', () => {
    const q = new WriteQueue(10);
    q.update('a', { outcome: 'in_progress' });
    expect(q.get('a')).toMatchObject({ final: false });
  });

  it('lets a later insert supersede queued patches', () => {
    const q = new WriteQueue(10);
    q.update('a', { bytesOut: 1 });
    const rec = makeRecord({ id: 'a', bytesOut: 5 });
    q.insert(rec);
    expect(q.get('a')).toEqual({ kind: 'insert', rec });
  });

  it('no longer counts a superseded patch as a checkpoint to evict', () => {
    const q = new WriteQueue(1);
    q.update('x', { bytesOut: 1 });
    q.insert(makeRecord({ id: 'x' }));
    q.update('y', { bytesOut: 1 });
    expect(q.trim()).toBe(1);
    expect(ids(q)).toEqual(['x']);
  });
});

describe('a full queue', () => {
  it('drops plain checkpoints first, then final updates, inserts last, oldest first', () => {
    const q = new WriteQueue(2);
    q.insert(makeRecord({ id: 'ins' }));
    q.update('fin', { outcome: 'completed' });
    q.update('cp1', { bytesOut: 1 });
    q.update('cp2', { bytesOut: 2 });
    expect(q.trim()).toBe(2);
    expect(ids(q)).toEqual(['ins', 'fin']);
    q.update('fin2', { outcome: 'upstream_error' });
    expect(q.trim()).toBe(1);
    expect(ids(q)).toEqual(['ins', 'fin2']);
    q.insert(makeRecord({ id: 'ins2' }));
    expect(q.trim()).toBe(1);
    expect(ids(q)).toEqual(['ins', 'ins2']);
    q.insert(makeRecord({ id: 'ins3' }));
    expect(q.trim()).toBe(1);
    expect(ids(q)).toEqual(['ins2', 'ins3']);
  });
});

describe('batches', () => {
  it('takes everything when the texts fit the budget, oldest first', () => {
    const q = new WriteQueue(10);
    q.insert(makeRecord({ id: 'a' }));
    q.update('b', { bytesOut: 1 });
    const batch = q.peekBatch(1_000_000);
    expect(batch.map(([id]) => id)).toEqual(['a', 'b']);
    expect(q.size).toBe(2);
    q.take(batch);
    expect(q.size).toBe(0);
  });

  it('stops once the budget is spent, but always takes one operation', () => {
    const q = new WriteQueue(10);
    const body = (n: number) => ({ text: 'x'.repeat(n), bytes: n, truncated: false });
    q.insert(makeRecord({ id: 'big', requestBody: body(100) }));
    q.update('next', { responseText: 'y'.repeat(10) });
    q.update('last', { bytesOut: 1 });
    expect(q.peekBatch(50).map(([id]) => id)).toEqual(['big']);
    expect(q.peekBatch(105).map(([id]) => id)).toEqual(['big', 'next']);
    const batch = q.peekBatch(50);
    q.take(batch);
    expect(ids(q)).toEqual(['next', 'last']);
  });

  it('puts a failed batch back in front, merged with what was queued since', () => {
    const q = new WriteQueue(10);
    const a = makeRecord({ id: 'a', bytesOut: 0 });
    q.insert(a);
    q.update('b', { bytesOut: 1, outcome: 'completed' });
    q.update('c', { bytesOut: 1 });
    const failed: QueuedEntry[] = q.peekBatch();
    q.take(failed);
    // Queued while the batch was being written:
    q.update('d', { bytesOut: 4 });
    q.update('a', { bytesOut: 9 });
    q.update('b', { bytesOut: 2 });
    q.insert(makeRecord({ id: 'c', bytesOut: 3 }));
    q.requeue(failed);
    expect(ids(q)).toEqual(['a', 'b', 'c', 'd']);
    expect(q.get('a')).toEqual({ kind: 'insert', rec: { ...a, bytesOut: 9 } });
    expect(q.get('b')).toEqual({ kind: 'update', patch: { bytesOut: 2, outcome: 'completed' }, final: true });
    expect(q.get('c')).toMatchObject({ kind: 'insert', rec: { id: 'c', bytesOut: 3 } });
    expect(q.get('d')).toEqual({ kind: 'update', patch: { bytesOut: 4 }, final: false });
  });
});

import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../../src-main/common/record.js';
import { compareRows, cursorAfter, findRow, mergeChanges, mergeHead } from '../../src-renderer/lib/rows.js';
import { summaryFixture } from './renderer-fixtures.js';

const row = (id: string, startedAt: number, patch: Partial<RequestSummary> = {}): RequestSummary => summaryFixture({ id, startedAt, ...patch });

describe('timeline rows order', () => {
  it('sorts newest first, then by id descending, like the store pages them', () => {
    const rows = [row('a', 1), row('c', 3), row('b', 3), row('d', 2)].sort(compareRows);
    expect(rows.map((r) => r.id)).toEqual(['c', 'b', 'd', 'a']);
  });

  it('finds a row by key and reports the insertion point of a missing one', () => {
    const rows = [row('c', 30), row('b', 20), row('a', 10)];
    expect(findRow(rows, { id: 'b', startedAt: 20 })).toBe(1);
    expect(findRow(rows, { id: 'x', startedAt: 25 })).toBe(-1 - 1);
    expect(findRow(rows, { id: 'z', startedAt: 40 })).toBe(-0 - 1);
  });

  it('gives the last row as the keyset cursor for the next page', () => {
    expect(cursorAfter([row('b', 20), row('a', 10)])).toEqual({ startedAt: 10, id: 'a' });
    expect(cursorAfter([])).toBeUndefined();
  });
});

describe('mergeChanges (live events into the loaded rows)', () => {
  it('inserts a started request at the top and updates it in place as it streams', () => {
    const rows = [row('a', 10, { outcome: 'completed' })];
    const started = row('b', 20);
    const m1 = mergeChanges(rows, [{ kind: 'started', summary: started }], {}, false);
    expect(m1.rows.map((r) => r.id)).toEqual(['b', 'a']);
    expect(m1.inserted).toBe(1);
    const progressed = { ...started, usage: { ...started.usage, outputTokens: 42, estimated: true } };
    const m2 = mergeChanges(m1.rows, [{ kind: 'progress', summary: progressed }], {}, false);
    expect(m2.rows).toHaveLength(2);
    expect(m2.rows[0]!.usage.outputTokens).toBe(42);
    expect(m2.rows[1]).toBe(m1.rows[1]); // untouched rows keep their identity (no re-render)
  });

  it('returns the same array when a batch changes nothing', () => {
    const rows = [row('a', 10)];
    const m = mergeChanges(rows, [{ kind: 'started', summary: row('z', 5, { model: 'other' }) }], { model: ['gpt'] }, false);
    expect(m.rows).toBe(rows);
  });

  it('adds a request when it starts matching the outcome filter and drops one that stops matching', () => {
    const filter = { outcome: ['client_aborted' as const] };
    const live = row('b', 20);
    const m1 = mergeChanges([], [{ kind: 'started', summary: live }], filter, false);
    expect(m1.rows).toHaveLength(0);
    const m2 = mergeChanges(m1.rows, [{ kind: 'finished', summary: { ...live, outcome: 'client_aborted' } }], filter, false);
    expect(m2.rows.map((r) => r.id)).toEqual(['b']);

    const shown = [row('c', 30)];
    const m3 = mergeChanges(shown, [{ kind: 'finished', summary: row('c', 30, { outcome: 'completed' }) }], { outcome: ['in_progress'] }, false);
    expect(m3.rows).toHaveLength(0);
  });

  it('ignores a change older than the loaded end while older pages remain (it comes with its page)', () => {
    const rows = [row('b', 20)];
    const m = mergeChanges(rows, [{ kind: 'progress', summary: row('a', 10) }], {}, true);
    expect(m.rows).toBe(rows);
    const m2 = mergeChanges(rows, [{ kind: 'progress', summary: row('a', 10) }], {}, false);
    expect(m2.rows.map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('asks for a re-query instead of guessing when a text search decides membership', () => {
    // a finished record may hold the word in its answer, which a summary lacks
    const m = mergeChanges([], [{ kind: 'finished', summary: row('a', 10, { outcome: 'completed' }) }], { text: 'needle' }, false);
    expect(m.rows).toHaveLength(0);
    expect(m.needsRefresh).toBe(true);
  });

  it('decides a text search on an in-progress row by its prompt, without a re-query', () => {
    const conversation = { messages: 1, tailHash: 'h', prompt: 'thread the needle', firstPrompt: null };
    const m = mergeChanges([], [{ kind: 'started', summary: row('a', 10, { outcome: 'in_progress', conversation }) }, { kind: 'started', summary: row('b', 11, { outcome: 'in_progress' }) }], { text: 'needle' }, false);
    expect(m.rows.map((r) => r.id)).toEqual(['a']);
    expect(m.needsRefresh).toBe(false);
  });

  it('never duplicates a row that is started twice', () => {
    const s = row('a', 10);
    const m = mergeChanges([], [{ kind: 'started', summary: s }, { kind: 'started', summary: s }], {}, false);
    expect(m.rows).toHaveLength(1);
  });
});

describe('mergeHead (a fresh first page over loaded rows)', () => {
  it('replaces everything at or newer than the page end and keeps older loaded rows', () => {
    const loaded = [row('d', 40), row('c', 30), row('b', 20), row('a', 10)];
    const page = [row('e', 50), row('d', 40, { outcome: 'completed' })];
    const merged = mergeHead(loaded, page, 2);
    expect(merged.map((r) => r.id)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(merged[1]!.outcome).toBe('completed');
  });

  it('takes a short page as the whole result', () => {
    expect(mergeHead([row('x', 1)], [row('y', 2)], 10).map((r) => r.id)).toEqual(['y']);
  });
});

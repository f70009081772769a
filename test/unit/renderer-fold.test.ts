import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../../src-main/common/record.js';
import { foldByTurn, timelineRows, type TimelineRows } from '../../src-renderer/lib/fold.js';
import { mergeChanges } from '../../src-renderer/lib/rows.js';
import { summaryFixture } from './renderer-fixtures.js';

/** A row of turn `turnId`, attempt `attempt`, started at `t`. */
const row = (id: string, t: number, turnId = id, attempt = 1, patch: Partial<RequestSummary> = {}): RequestSummary =>
  summaryFixture({ id, startedAt: t, turnId, attempt, ...patch });

const shape = (t: TimelineRows) =>
  t.rows.map((r) => {
    const m = t.folds?.get(r.id);
    return `${m?.nested ? '  ' : ''}${r.id}×${m?.attempts ?? 1}${m?.expanded ? '+' : ''}`;
  });

describe('folding the timeline by turn', () => {
  // Newest first, as the store holds them: turn t1 has three attempts (a1 failed, a2
  // failed, a3 the latest), with a turn of its own (b) between them in time.
  const rows = [row('c', 60), row('a3', 50, 'a1', 3), row('b', 40), row('a2', 30, 'a1', 2), row('a1', 20, 'a1', 1), row('z', 10)];

  it("shows one row per turn, its latest attempt, with the turn's attempt count, where that attempt is", () => {
    expect(shape(foldByTurn(rows, new Set()))).toEqual(['c×1', 'a3×3', 'b×1', 'z×1']);
  });

  it('an open turn lists its other attempts under it, in the order of the rows', () => {
    expect(shape(foldByTurn(rows, new Set(['a1'])))).toEqual(['c×1', 'a3×3+', '  a2×3', '  a1×3', 'b×1', 'z×1']);
    // opening a turn of one attempt shows nothing more
    expect(shape(foldByTurn(rows, new Set(['b'])))).toEqual(['c×1', 'a3×3', 'b×1', 'z×1']);
  });

  it('the latest attempt stands for the turn under any sort, placed where the sort puts it', () => {
    const byTtft = timelineRows(
      [row('a2', 30, 'a1', 2, { timings: { firstByteMs: 5, ttftMs: 900, lastEventMs: null, durationMs: null } }), row('a1', 20, 'a1', 1, { timings: { firstByteMs: 5, ttftMs: 100, lastEventMs: null, durationMs: null } }), row('b', 10, 'b', 1, { timings: { firstByteMs: 5, ttftMs: 500, lastEventMs: null, durationMs: null } })],
      { key: 'ttft', dir: 'asc' },
      true,
      new Set(['a1']),
    );
    expect(shape(byTtft)).toEqual(['b×1', 'a2×2+', '  a1×2']);
  });

  it('unfolded, the rows pass through: the same array in the store’s order', () => {
    const t = timelineRows(rows, { key: 'time', dir: 'desc' }, false, new Set(['a1']));
    expect(t.rows).toBe(rows);
    expect(t.folds).toBeNull();
    expect(shape(t)).toEqual(['c×1', 'a3×1', 'b×1', 'a2×1', 'a1×1', 'z×1']);
  });

  it('a retry arriving live joins its turn and takes its place at the top', () => {
    const before = [row('a1', 20, 'a1', 1, { outcome: 'upstream_error', httpStatus: 529 }), row('z', 10)];
    expect(shape(foldByTurn(before, new Set()))).toEqual(['a1×1', 'z×1']);
    // The linker names the turn once the request body was read: the row is pushed as
    // its own turn first, then updated with the turn it retries.
    const started = row('a2', 30);
    const m1 = mergeChanges(before, [{ kind: 'started', summary: started }], {}, false);
    expect(shape(foldByTurn(m1.rows, new Set()))).toEqual(['a2×1', 'a1×1', 'z×1']);
    const m2 = mergeChanges(m1.rows, [{ kind: 'progress', summary: { ...started, turnId: 'a1', attempt: 2 } }], {}, false);
    const folded = foldByTurn(m2.rows, new Set());
    expect(shape(folded)).toEqual(['a2×2', 'z×1']);
    expect(folded.rows[0]!.outcome).toBe('in_progress');
  });
});

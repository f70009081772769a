// The timeline's rows with retries folded under their turn: one row per turn (its latest
// attempt, the one that says how the turn ended) with "×N" for its N loaded attempts;
// an open turn shows its other attempts under it. Derived from the loaded rows on every
// render, so live changes keep merging into the rows as they always do and a retry that
// arrives joins its turn at once. Unfolded, the rows pass through untouched (the same
// array in the default order), so the 100,000-row timeline pays nothing for this. Pure.

import type { RequestSummary } from '../../src-main/common/record.js';
import { sortRows, type Sort } from './sort.js';

/** How a shown row sits in its folded turn. */
export interface FoldMark {
  /** how many loaded attempts the row's turn has */
  attempts: number;
  /** the turn's row: whether its other attempts are shown under it */
  expanded: boolean;
  /** an earlier attempt shown under its open turn */
  nested: boolean;
}

export interface TimelineRows {
  /** what the table shows, in order */
  rows: RequestSummary[];
  /** by row id, for a turn of two or more loaded attempts; null when not folded */
  folds: ReadonlyMap<string, FoldMark> | null;
}

/** The attempt that stands for its turn: the latest try. */
function later(a: RequestSummary, b: RequestSummary): boolean {
  return a.attempt !== b.attempt ? a.attempt > b.attempt : a.startedAt > b.startedAt;
}

/**
 * One row per turn, at the place of the turn's latest attempt in `rows` (so any sort
 * order holds); the turns in `expanded` are followed by their other attempts, in the
 * order `rows` has them.
 */
export function foldByTurn(rows: readonly RequestSummary[], expanded: ReadonlySet<string>): { rows: RequestSummary[]; folds: Map<string, FoldMark> } {
  // One pass to find each turn's latest attempt and size (run per live frame over up to
  // 100,000 rows: no per-turn arrays, except for the few open turns), one to lay out.
  const heads = new Map<string, { head: RequestSummary; n: number }>();
  const members = new Map<string, RequestSummary[]>();
  for (const r of rows) {
    const g = heads.get(r.turnId);
    if (!g) heads.set(r.turnId, { head: r, n: 1 });
    else {
      g.n++;
      if (later(r, g.head)) g.head = r;
    }
    if (expanded.has(r.turnId)) {
      const list = members.get(r.turnId);
      if (list) list.push(r);
      else members.set(r.turnId, [r]);
    }
  }
  const out: RequestSummary[] = [];
  const folds = new Map<string, FoldMark>();
  for (const r of rows) {
    const g = heads.get(r.turnId)!;
    if (g.head !== r) continue;
    out.push(r);
    if (g.n < 2) continue;
    const open = members.get(r.turnId);
    folds.set(r.id, { attempts: g.n, expanded: open !== undefined, nested: false });
    if (!open) continue;
    for (const m of open) {
      if (m === r) continue;
      out.push(m);
      folds.set(m.id, { attempts: g.n, expanded: false, nested: true });
    }
  }
  return { rows: out, folds };
}

/** What the timeline shows, in order: the rows sorted, then folded by turn when asked. */
export function timelineRows(rows: RequestSummary[], sort: Sort, fold: boolean, expanded: ReadonlySet<string>): TimelineRows {
  const sorted = sortRows(rows, sort);
  return fold ? foldByTurn(sorted, expanded) : { rows: sorted, folds: null };
}

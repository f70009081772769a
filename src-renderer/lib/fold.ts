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
  const groups = new Map<string, { head: RequestSummary; members: RequestSummary[] }>();
  for (const r of rows) {
    const g = groups.get(r.turnId);
    if (!g) groups.set(r.turnId, { head: r, members: [r] });
    else {
      g.members.push(r);
      if (later(r, g.head)) g.head = r;
    }
  }
  const out: RequestSummary[] = [];
  const folds = new Map<string, FoldMark>();
  for (const r of rows) {
    const g = groups.get(r.turnId)!;
    if (g.head !== r) continue;
    out.push(r);
    const n = g.members.length;
    if (n < 2) continue;
    const open = expanded.has(r.turnId);
    folds.set(r.id, { attempts: n, expanded: open, nested: false });
    if (!open) continue;
    for (const m of g.members) {
      if (m === r) continue;
      out.push(m);
      folds.set(m.id, { attempts: n, expanded: false, nested: true });
    }
  }
  return { rows: out, folds };
}

/** What the timeline shows, in order: the rows sorted, then folded by turn when asked. */
export function timelineRows(rows: RequestSummary[], sort: Sort, fold: boolean, expanded: ReadonlySet<string>): TimelineRows {
  const sorted = sortRows(rows, sort);
  return fold ? foldByTurn(sorted, expanded) : { rows: sorted, folds: null };
}

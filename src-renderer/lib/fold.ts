// The timeline's rows with retries folded under their turn: one row per turn (its latest
// attempt, the one that says how the turn ended) with "×N" for its N loaded attempts;
// an open turn shows its other attempts under it. Derived from the loaded rows on every
// render, so live changes keep merging into the rows as they always do and a retry that
// arrives joins its turn at once. Pure.

import type { RequestSummary } from '../../src-main/common/record.js';
import { sortRows, type Sort } from './sort.js';

export interface TimelineItem {
  row: RequestSummary;
  /** how many loaded attempts the row's turn has (1 when not folded, or when alone) */
  attempts: number;
  /** a folded turn's row: whether its other attempts are shown under it */
  expanded: boolean;
  /** an earlier attempt shown under its open turn */
  nested: boolean;
}

/** The attempt that stands for its turn: the latest try. */
function later(a: RequestSummary, b: RequestSummary): boolean {
  return a.attempt !== b.attempt ? a.attempt > b.attempt : a.startedAt > b.startedAt;
}

/**
 * One item per turn, at the place of the turn's latest attempt in `rows` (so any sort
 * order holds); the turns in `expanded` are followed by their other attempts, in the
 * order `rows` has them.
 */
export function foldByTurn(rows: readonly RequestSummary[], expanded: ReadonlySet<string>): TimelineItem[] {
  const groups = new Map<string, { head: RequestSummary; members: RequestSummary[] }>();
  for (const r of rows) {
    const g = groups.get(r.turnId);
    if (!g) groups.set(r.turnId, { head: r, members: [r] });
    else {
      g.members.push(r);
      if (later(r, g.head)) g.head = r;
    }
  }
  const out: TimelineItem[] = [];
  for (const r of rows) {
    const g = groups.get(r.turnId)!;
    if (g.head !== r) continue;
    const n = g.members.length;
    const open = n > 1 && expanded.has(r.turnId);
    out.push({ row: r, attempts: n, expanded: open, nested: false });
    if (open) for (const m of g.members) if (m !== r) out.push({ row: m, attempts: n, expanded: false, nested: true });
  }
  return out;
}

/** What the timeline shows, in order: the rows sorted, then folded by turn when asked. */
export function timelineItems(rows: RequestSummary[], sort: Sort, fold: boolean, expanded: ReadonlySet<string>): TimelineItem[] {
  const sorted = sortRows(rows, sort);
  if (fold) return foldByTurn(sorted, expanded);
  return sorted.map((row) => ({ row, attempts: 1, expanded: false, nested: false }));
}

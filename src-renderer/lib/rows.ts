// The timeline's rows: newest first, ordered exactly as the store pages them
// (startedAt desc, id desc), so a keyset cursor taken from the last row continues
// where the list ends. Live changes are merged with a binary search on (startedAt, id)
// — startedAt never changes for a record — so one batch costs O(changes · log n) plus
// one array copy, even with 100,000 rows loaded. Pure.

import type { LiveRecordChange } from '../../src-main/common/contract.js';
import { matchesRecordFilter, type RecordFilter, type RequestSummary } from '../../src-main/common/record.js';

export type RowChange = LiveRecordChange;

type Key = Pick<RequestSummary, 'startedAt' | 'id'>;

/** Negative when a sorts before b (a is newer). */
export function compareRows(a: Key, b: Key): number {
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Index of the row with this key, or -(insertion point) - 1. */
export function findRow(rows: readonly Key[], key: Key): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareRows(rows[mid]!, key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

export interface MergeResult {
  rows: RequestSummary[];
  /** rows inserted (not updates) */
  inserted: number;
  /** a change that may belong to the list but could not be judged here (text search) */
  needsRefresh: boolean;
}

/**
 * Applies a batch of live changes. A row is kept or inserted when it matches the filter,
 * removed when it no longer does. A change for a row older than the loaded end of a list
 * that has more pages is ignored: that row is fetched with its page later.
 * Returns the same array when nothing changed (so React skips a render).
 */
export function mergeChanges(rows: RequestSummary[], changes: readonly Omit<RowChange, 'seq'>[], filter: RecordFilter, hasMore: boolean): MergeResult {
  let out: RequestSummary[] | null = null;
  let inserted = 0;
  let needsRefresh = false;
  for (const { summary } of changes) {
    const list: RequestSummary[] = out ?? rows;
    const at = findRow(list, summary);
    const match = matchesRecordFilter(summary, filter);
    if (at >= 0) {
      if (match === false) {
        out ??= rows.slice();
        out.splice(at, 1);
      } else {
        out ??= rows.slice();
        out[at] = summary;
      }
      continue;
    }
    if (match === 'unknown') {
      needsRefresh = true;
      continue;
    }
    if (!match) continue;
    const insertAt = -at - 1;
    if (insertAt >= list.length && hasMore) continue;
    out ??= rows.slice();
    out.splice(insertAt, 0, summary);
    inserted++;
  }
  return { rows: out ?? rows, inserted, needsRefresh };
}

/**
 * Merges a freshly fetched first page into the loaded rows: everything at or newer than
 * the page's last row comes from the page; older loaded rows are kept. When the page is
 * short, it is the whole result.
 */
export function mergeHead(rows: readonly RequestSummary[], page: readonly RequestSummary[], limit: number): RequestSummary[] {
  if (page.length < limit) return page.slice();
  const boundary = page[page.length - 1]!;
  const older = rows.filter((r) => compareRows(r, boundary) > 0);
  return [...page, ...older];
}

/** The keyset cursor for the next (older) page. */
export function cursorAfter(rows: readonly RequestSummary[]): { startedAt: number; id: string } | undefined {
  const last = rows[rows.length - 1];
  return last ? { startedAt: last.startedAt, id: last.id } : undefined;
}

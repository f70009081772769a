// Sorting the timeline by a column. The store pages newest first; for any other order
// the loaded rows (the whole filtered set, up to SORT_LOAD_CAP) are sorted here, so live
// changes keep merging by time underneath. A row without the value (a live request has
// no duration yet, an error no TTFT) sorts last in either direction. Pure.

import type { RequestSummary } from '../../src-main/common/record.js';
import { compareRows } from './rows.js';

export const SORT_KEYS = ['time', 'ttft', 'duration', 'in', 'out'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_SORT: Sort = { key: 'time', dir: 'desc' };
/** Rows loaded to sort by something other than time (5,000 requests sort in ~2 ms). */
export const SORT_LOAD_CAP = 5_000;

function value(r: RequestSummary, key: SortKey): number | null {
  switch (key) {
    case 'time':
      return r.startedAt;
    case 'ttft':
      return r.timings.ttftMs;
    case 'duration':
      return r.timings.durationMs;
    case 'in':
      return r.usage.inputTokens;
    case 'out':
      return r.usage.outputTokens;
  }
}

/** The rows in `sort` order; the same array when it is the store's own order. */
export function sortRows(rows: RequestSummary[], sort: Sort): RequestSummary[] {
  if (sort.key === 'time' && sort.dir === 'desc') return rows;
  const sign = sort.dir === 'asc' ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const va = value(a, sort.key);
    const vb = value(b, sort.key);
    if (va === null || vb === null) return va === vb ? compareRows(a, b) : va === null ? 1 : -1;
    return va !== vb ? (va - vb) * sign : compareRows(a, b);
  });
}

/** What a click on a column header does: a new column starts descending (biggest first), the same one flips. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key !== key) return { key, dir: 'desc' };
  return { key, dir: current.dir === 'desc' ? 'asc' : 'desc' };
}

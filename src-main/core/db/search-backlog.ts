// Records stored before migration 0006 have no entry in the search index it rebuilt
// (detail=none). This backlog indexes them after opening, newest first (the records a
// user is likeliest to look for), SEARCH_BACKLOG_ROWS rowids at a time, each batch one
// short transaction on the writer thread, queued between the live writes, so the start
// never waits for it. The search_backlog row says where it stands (rowids below
// below_rowid are still to do) and moves in the same transaction as each batch: a crash
// or a close in between loses nothing, and the next read-write open goes on. A record
// written meanwhile indexes itself (search-entries.ts); a batch that reaches it again
// rewrites the same entry.

import type Database from 'better-sqlite3';
import { SEARCH_ROWID_RANGE_SQL } from './search-entries.js';
import type { WriteOp, WriteResult } from './write-runner.js';

/** rowids per batch: ~20 ms of the writer's time on the bench machine */
export const SEARCH_BACKLOG_ROWS = 500;

export interface SearchBacklogResult {
  /** rowids this run covered (the records among them indexed) */
  rowids: number;
  /** false when it stopped early (the store closed, a write failed): the next open goes on */
  complete: boolean;
}

/** Where the backlog stands: rowids below this are not indexed yet; null when none are
 * left (or there were none: 0006 writes the row only for a database holding records). */
export function searchBacklogBelow(read: Database.Database): number | null {
  const row = read.prepare('SELECT below_rowid AS below FROM search_backlog WHERE id = 1').get() as { below: number } | undefined;
  return row ? row.below : null;
}

/**
 * Indexes the records from before 0006, newest first. `read` is the store's reading
 * connection; `write` runs a batch on the writer and resolves with its result (not ok
 * once the store is closed); `stopped` is asked before each batch.
 */
export async function fillSearchBacklog(
  read: Database.Database,
  write: (ops: WriteOp[]) => Promise<WriteResult>,
  stopped: () => boolean,
): Promise<SearchBacklogResult> {
  let rowids = 0;
  // Not on the opener's stack: openStore returns before the first batch is read.
  await new Promise((resolve) => setImmediate(resolve));
  for (;;) {
    if (stopped()) return { rowids, complete: false };
    const below = searchBacklogBelow(read);
    if (below === null) return { rowids, complete: true };
    const from = Math.max(1, below - SEARCH_BACKLOG_ROWS);
    const op: WriteOp = {
      id: 'search-backlog',
      stmts:
        below <= 1
          ? [['DELETE FROM search_backlog WHERE id = 1', []]]
          : [
              [SEARCH_ROWID_RANGE_SQL, [from, below]],
              // Done when it reaches the first rowid: the row goes, and with it the question.
              from === 1 ? ['DELETE FROM search_backlog WHERE id = 1', []] : ['UPDATE search_backlog SET below_rowid = ? WHERE id = 1', [from]],
            ],
    };
    const result = await write([op]);
    if (!result.ok || result.rejected.length > 0) return { rowids, complete: false };
    rowids += below - from;
  }
}

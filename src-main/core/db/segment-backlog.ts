// Request bodies recorded before migration 0004 have their text whole in
// request_body_text (request_body_segments null). They read back as they are (see
// request-body-text.ts), and this backlog converts them to segments so an old database
// shrinks like a new one: a batch of at most BACKLOG_BODIES bodies or BACKLOG_CHARS
// characters at a time, each batch one short transaction on the writer thread (which
// does the splitting, as for new bodies), queued between the live writes. It runs after
// the migrations on every read-write open and resumes where it stopped: a row is
// converted or not, so a crash or a close in between loses nothing.

import type Database from 'better-sqlite3';
import type { WriteOp, WriteResult } from './write-runner.js';

/** bodies per conversion batch */
export const BACKLOG_BODIES = 200;
/** characters of body text per conversion batch (about 16 MiB of ASCII) */
export const BACKLOG_CHARS = 16 * 1024 * 1024;

// Guarded by `request_body_segments IS NULL`: a row converted in between (by a batch
// retried after a failure) is left alone.
const CONVERT_SQL = 'UPDATE request_bodies SET request_body_text = ?, request_body_segments = ? WHERE id = ? AND request_body_segments IS NULL';

export interface SegmentBacklogResult {
  converted: number;
  /** false when it stopped early (the store closed, a write failed): the next open goes on */
  complete: boolean;
}

/**
 * Converts the bodies still stored whole, oldest rows first. `read` is the store's
 * reading connection; `write` runs a batch on the writer and resolves with its result
 * (not ok once the store is closed); `stopped` is asked before each batch.
 */
export async function convertSegmentBacklog(
  read: Database.Database,
  write: (ops: WriteOp[]) => Promise<WriteResult>,
  stopped: () => boolean,
): Promise<SegmentBacklogResult> {
  // By rowid, so each batch starts where the last one ended: one pass over the table.
  const next = read.prepare<[number], { rowid: number; id: string; text: string }>(
    'SELECT rowid, id, request_body_text AS text FROM request_bodies WHERE rowid > ? AND request_body_segments IS NULL ORDER BY rowid',
  );
  let converted = 0;
  let after = 0;
  // Not on the opener's stack: openStore returns before the first batch is read.
  await new Promise((resolve) => setImmediate(resolve));
  for (;;) {
    if (stopped()) return { converted, complete: false };
    const ops: WriteOp[] = [];
    let chars = 0;
    // iterate(), not all(): the batch stops reading at its budget.
    for (const row of next.iterate(after)) {
      ops.push({ id: row.id, stmts: [[CONVERT_SQL, [row.text, null, row.id]]], segmentedBody: { stmt: 0, text: 0, segments: 1 } });
      chars += row.text.length;
      after = row.rowid;
      if (ops.length >= BACKLOG_BODIES || chars >= BACKLOG_CHARS) break;
    }
    if (ops.length === 0) return { converted, complete: true };
    const result = await write(ops);
    if (!result.ok) return { converted, complete: false };
    // A rejected row (a value SQLite refused) keeps its text whole and still reads back.
    converted += ops.length - result.rejected.length;
  }
}

// How a batch of the store's writes is applied to a connection, shared by both
// executors: the writer thread (writer-thread.ts) runs it on its own connection, the
// inline executor (in-memory stores) on the store's. One algorithm either way.
//
// A batch runs in one IMMEDIATE transaction (the write lock is taken at BEGIN, so a
// busy database is detected before any work); on a record-specific failure (a
// constraint, a value the driver refuses) it is retried one record per savepoint, so
// one bad record cannot hold back the others.

import type Database from 'better-sqlite3';
import { segmentArgs, SegmentWriter, type SegmentedBodyArgs } from './request-segments.js';
import { searchEntries, writeSearchEntries, type SearchRequest } from './search-entries.js';

/** One queued record's statements, applied together (and rejected together), and what
 * it asks of the search index, which is written after the batch's statements. */
export interface WriteOp extends SearchRequest {
  stmts: [sql: string, args: unknown[]][];
  /** a statement writing a request body, whose text the runner stores as segments */
  segmentedBody?: SegmentedBodyArgs;
}

export type WriteResult =
  | { ok: true; rejected: { id: string; message: string }[]; /** rows the statements changed */ changes: number }
  | { ok: false; message: string; code: string | null };

export type Runner = (ops: WriteOp[]) => WriteResult;
export type Maintainer = (sql: readonly string[]) => WriteResult;

/** Statements that must not run inside a transaction (PRAGMA incremental_vacuum,
 * wal_checkpoint), in order. exec() steps a statement to its end: incremental_vacuum
 * frees one page per step, so run() (one step) would free a single page. */
export function createMaintainer(db: Database.Database): Maintainer {
  return (sql) => {
    try {
      for (const s of sql) db.exec(s);
      return { ok: true, rejected: [], changes: 0 };
    } catch (e) {
      return { ok: false, message: message(e), code: errorCode(e) };
    }
  };
}

const RECORD_ERROR = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
/** prepared statements kept per connection (the store builds a few hundred shapes at most) */
const MAX_PREPARED = 512;

function errorCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

function message(e: unknown): string {
  return String((e as { message?: unknown } | null)?.message ?? e);
}

/** A failure of this record's values, not of the database: the others may still go in. */
function isRecordError(e: unknown): boolean {
  const code = errorCode(e);
  return (code !== null && RECORD_ERROR.test(code)) || e instanceof TypeError || e instanceof RangeError;
}

export function createRunner(db: Database.Database): Runner {
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string): Database.Statement => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= MAX_PREPARED) cache.clear();
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  let segments: SegmentWriter | null = null;
  let changes = 0;
  const applyOp = (op: WriteOp): void => {
    const seg = op.segmentedBody;
    for (let k = 0; k < op.stmts.length; k++) {
      const [sql, args] = op.stmts[k]!;
      // Prepared on first use: a connection opened before its migrations ran has no
      // segment tables to prepare against yet.
      const bound = seg?.stmt === k ? segmentArgs((segments ??= new SegmentWriter(db)), args, seg) : args;
      changes += stmt(sql).run(bound).changes;
    }
  };
  // After every op of the transaction, in one statement (search-entries.ts says why).
  const indexSearch = (ops: readonly WriteOp[]): void => {
    const entries = searchEntries(ops);
    if (entries) changes += writeSearchEntries(stmt, entries);
  };
  const one = db.transaction((op: WriteOp) => {
    applyOp(op);
    indexSearch([op]);
  });
  const batch = db.transaction((ops: WriteOp[]) => {
    for (const op of ops) applyOp(op);
    indexSearch(ops);
  });
  const oneByOne = db.transaction((ops: WriteOp[]) => {
    const rejected: { id: string; message: string }[] = [];
    for (const op of ops) {
      try {
        one(op);
      } catch (e) {
        if (!isRecordError(e)) throw e;
        rejected.push({ id: op.id, message: message(e) });
      }
    }
    return rejected;
  });
  return (ops) => {
    try {
      try {
        changes = 0;
        batch.immediate(ops);
        return { ok: true, rejected: [], changes };
      } catch (e) {
        if (!isRecordError(e)) throw e;
        // Counted again: the failed batch was rolled back (a rejected record may count
        // the rows its statements changed before its savepoint rolled back).
        changes = 0;
        const rejected = oneByOne.immediate(ops);
        return { ok: true, rejected, changes };
      }
    } catch (e) {
      return { ok: false, message: message(e), code: errorCode(e) };
    }
  };
}

// What openStore() checks before it writes a byte to a database file, and the lock
// that keeps a second recorder off a database another one is recording to.
//
// - Another application's SQLite file (a mistyped --db) must come out byte for byte as
//   it went in: switching it to WAL rewrites header bytes 18-19, and migrating it adds
//   Streamtap's tables. So an existing file is inspected over a read-only connection
//   first, and only a file that is Streamtap's (or new) is opened for writing.
// - A damaged file gets "the database is corrupted", not whatever error a migration
//   would run into (a lost migrations row makes drizzle re-create tables that exist).
// - Two recorders on one file would each mark the other's live rows `interrupted` at
//   start and interleave their writes. The recorder's lock is an exclusive SQLite lock
//   on a small file beside the database (`<db>.lock`): the OS drops it when its owner
//   exits in any way, kill -9 included, so a crash never blocks the next start, and
//   readers (export, tail, sessions) never touch it.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { firstLine } from '../../common/errors.js';

/** What the inspection found; the caller turns it into a StoreOpenError. */
export type Inspection =
  | { kind: 'new' }
  | { kind: 'ours'; pendingMigrations: number }
  | { kind: 'refused'; why: 'unopenable' | 'not_sqlite' | 'foreign' | 'corrupted' | 'newer'; detail: string; code: string | null };

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

interface JournalEntry {
  when: number;
  tag: string;
}

function readJournal(migrationsFolder: string): JournalEntry[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  return journal.entries;
}

/** The tables a migration creates, from its SQL. */
function createdTables(migrationsFolder: string, tag: string): string[] {
  const sql = readFileSync(join(migrationsFolder, `${tag}.sql`), 'utf8');
  return [...sql.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?[`"]?([A-Za-z0-9_]+)[`"]?/gi)].map((m) => m[1]!);
}

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(100);
    const n = readSync(fd, buf, 0, 100, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function sqliteCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}


function corrupted(detail: string, code: string | null = null): Inspection {
  return { kind: 'refused', why: 'corrupted', detail, code };
}

/**
 * Looks at an existing file without changing it: the header, the schema, the
 * migrations it has had. Only a file that is new (absent or empty) or Streamtap's own
 * may then be opened for writing.
 */
export function inspectDatabase(file: string, migrationsFolder: string, nativeBinding?: string): Inspection {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { kind: 'refused', why: 'unopenable', detail: 'it is a folder, not a database file', code: 'EISDIR' };
    size = st.size;
  } catch (e) {
    if (sqliteCode(e) === 'ENOENT') return { kind: 'new' };
    throw e;
  }
  if (size === 0) return { kind: 'new' };
  const header = readHeader(file);
  if (header.length < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    return { kind: 'refused', why: 'not_sqlite', detail: 'it is not an SQLite file', code: 'SQLITE_NOTADB' };
  }
  // A file shorter than the page count in its header lost its end (copied while written,
  // truncated by a full disk). The count is only current when no WAL holds newer pages.
  const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
  const pageCount = header.readUInt32BE(28);
  const countValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  const walBytes = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
  if (countValid && walBytes === 0 && pageCount > 0 && size < pageCount * pageSize) {
    return corrupted(`the file is ${size} bytes, its header says ${pageCount * pageSize}`);
  }

  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, ...(nativeBinding !== undefined ? { nativeBinding } : {}) });
  } catch (e) {
    if (e instanceof Database.SqliteError) return readFailure(e);
    throw e;
  }
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
      .pluck()
      .all() as string[];
    if (tables.length === 0) return { kind: 'new' };
    if (!tables.includes('__drizzle_migrations')) {
      return { kind: 'refused', why: 'foreign', detail: `it holds other tables: ${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''}`, code: null };
    }
    const journal = readJournal(migrationsFolder);
    const applied = db.prepare('SELECT created_at FROM __drizzle_migrations').pluck().all() as (number | bigint | null)[];
    const last = applied.reduce<number>((m, v) => Math.max(m, Number(v ?? 0)), 0);
    const ours = Math.max(0, ...journal.map((e) => e.when));
    if (last > ours) return { kind: 'refused', why: 'newer', detail: 'it was written by a newer version of Streamtap', code: null };
    // drizzle applies every migration newer than the last one recorded.
    const pending = journal.filter((e) => e.when > last);
    if (pending.length === 0) return { kind: 'ours', pendingMigrations: 0 };
    // A pending migration that creates a table the file already has: the migration
    // history was damaged. Migrating would fail on "table already exists" at best.
    const existing = new Set(tables);
    const clash = pending.flatMap((e) => createdTables(migrationsFolder, e.tag)).find((t) => existing.has(t));
    if (clash) return corrupted(`its migration history is missing entries, yet it has the table ${clash}`);
    // An upgrade writes to the file: make sure every page reads back first (this scans
    // the whole file, so it runs only before a migration).
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') return corrupted(String(check));
    return { kind: 'ours', pendingMigrations: pending.length };
  } catch (e) {
    if (e instanceof Database.SqliteError) return readFailure(e);
    throw e;
  } finally {
    db.close();
  }
}

function readFailure(e: InstanceType<typeof Database.SqliteError>): Inspection {
  const code = sqliteCode(e);
  if (code === 'SQLITE_NOTADB') return { kind: 'refused', why: 'not_sqlite', detail: firstLine(e), code };
  if (code?.startsWith('SQLITE_CORRUPT')) return corrupted(firstLine(e), code);
  throw e;
}

/** Held by the one process recording to a database; released by close() or by the OS. */
export interface RecorderLock {
  release(): void;
}

export function lockFileFor(file: string): string {
  return `${file}.lock`;
}

/**
 * Takes the recorder's lock for `file`, or returns null when another connection holds
 * it. The lock file is never deleted: a process that opened it just before a delete
 * could otherwise lock an orphaned inode while a third one locks a new file.
 */
export function acquireRecorderLock(file: string, nativeBinding?: string): RecorderLock | null {
  const lockDb = new Database(lockFileFor(file), { timeout: 0, ...(nativeBinding !== undefined ? { nativeBinding } : {}) });
  try {
    // EXCLUSIVE locking mode keeps the lock of the first write transaction until the
    // connection closes; no journal is needed for a transaction that writes nothing.
    lockDb.pragma('locking_mode = EXCLUSIVE');
    lockDb.pragma('journal_mode = OFF');
    lockDb.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (e) {
    lockDb.close();
    const code = sqliteCode(e);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return null;
    throw e;
  }
  return {
    release() {
      if (lockDb.open) lockDb.close();
    },
  };
}

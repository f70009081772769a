// Opening a store's database: the folder, the guards of open-guards.ts (whose file it
// is, whether another recorder holds it), the connection and its pragmas, and the
// migrations; every failure becomes one StoreOpenError line naming the file.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { firstLine } from '../../common/errors.js';
import { acquireRecorderLock, inspectDatabase, type Inspection, type RecorderLock } from './open-guards.js';
import { JOURNAL_SIZE_LIMIT } from './write-executor.js';

/** PRAGMA auto_vacuum's value for INCREMENTAL */
export const AUTO_VACUUM_INCREMENTAL = 2;

export const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

/** The opening half of OpenStoreOptions (see there). */
export interface DatabaseOptions {
  path: string;
  nativeBinding?: string;
  migrationsFolder?: string;
  busyTimeoutMs?: number;
  readOnly?: boolean;
  lock?: boolean;
}

export interface OpenedDatabase {
  sqlite: Database.Database;
  db: BetterSQLite3Database;
  /** asked for and possible (an in-memory database is never read-only) */
  readOnly: boolean;
  /** releases the recorder's lock (when taken); the store calls it last on close */
  releaseLock: () => void;
}

/** The database could not be opened or prepared; `message` is one line naming the file. */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
  constructor(
    message: string,
    readonly file: string,
    /** SQLite result code (SQLITE_NOTADB…) or Node error code, when known */
    readonly code: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The migrations folder next to this module. In a bundled build (electron-vite puts
 * the main process in out/main/index.js) this resolves to out/main/migrations, so the
 * build must copy src-main/core/db/migrations there, or pass `migrationsFolder`.
 */
export function defaultMigrationsFolder(): string {
  return fileURLToPath(new URL('migrations', import.meta.url));
}

/**
 * Opens the reading (and, unless read-only, migrating) connection after the guards:
 * the file is inspected, and the recorder's lock taken, before a byte is written.
 */
export function openDatabase(opts: DatabaseOptions): OpenedDatabase {
  const file = opts.path;
  const inMemory = file === ':memory:' || file === '';
  const readOnly = opts.readOnly === true && !inMemory;
  const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
  const migrationsFolder = opts.migrationsFolder ?? defaultMigrationsFolder();
  const binding = opts.nativeBinding !== undefined ? { nativeBinding: opts.nativeBinding } : {};
  if (!inMemory && !readOnly) {
    try {
      mkdirSync(dirname(resolve(file)), { recursive: true });
    } catch (e) {
      throw new StoreOpenError(`Cannot create the folder for ${file} (${firstLine(e)})`, file, errorCode(e), { cause: e });
    }
  }

  // An existing file is looked at read-only first: nothing is written to it (not even
  // the switch to WAL) until it is known to be Streamtap's or new.
  let lock: RecorderLock | null = null;
  if (!inMemory) {
    const found = guarded(file, opts.nativeBinding, () => inspectDatabase(file, migrationsFolder, opts.nativeBinding));
    if (found.kind === 'refused') throw refusal(file, found);
    if (readOnly && found.kind === 'new') throw new StoreOpenError(`There is no Streamtap database at ${file}`, file, 'ENOENT');
    if (readOnly && found.kind === 'ours' && found.pendingMigrations > 0) {
      throw new StoreOpenError(`${file} was written by an older Streamtap; run "streamtap serve" (or the desktop app) once to upgrade it`, file, null);
    }
    if (!readOnly && opts.lock !== false) {
      lock = guarded(file, opts.nativeBinding, () => acquireRecorderLock(file, opts.nativeBinding));
      if (!lock) {
        throw new StoreOpenError(
          `Another Streamtap (the desktop app or "streamtap serve") is already recording to ${file}. Quit it first, or record to another database file.`,
          file,
          RECORDER_LOCKED,
        );
      }
    }
  }
  const releaseLock = () => lock?.release();

  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { timeout: busyTimeoutMs, ...(readOnly ? { readonly: true, fileMustExist: true } : {}), ...binding });
  } catch (e) {
    releaseLock();
    throw loadError(file, opts.nativeBinding, e);
  }

  try {
    if (!readOnly) {
      // Before WAL: a new file takes auto_vacuum only before its first table and before
      // it enters WAL mode.
      if (!inMemory) enableIncrementalVacuum(sqlite);
      // WAL: readers (dashboard, CLI export in another process) never block the writer.
      // synchronous=NORMAL: in WAL mode a commit is durable against a process crash and
      // only the last transactions can be lost on power loss, at a fraction of the cost.
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    }
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  } catch (e) {
    sqlite.close();
    releaseLock();
    throw openError(file, e);
  }

  const db = drizzle({ client: sqlite });
  if (!readOnly) {
    try {
      migrate(db, { migrationsFolder });
    } catch (caught) {
      sqlite.close();
      releaseLock();
      const e = sqliteCause(caught);
      // The file's state (locked, read-only, damaged) is reported as such; anything
      // else (missing migrations, a clashing table) as a failed migration.
      if (e instanceof Database.SqliteError && e.code !== 'SQLITE_ERROR') throw openError(file, e);
      throw new StoreOpenError(
        `Cannot prepare ${file}: migrations from ${migrationsFolder} failed (${firstLine(e)})`,
        file,
        errorCode(e),
        { cause: e },
      );
    }
  }
  return { sqlite, db, readOnly, releaseLock };
}

/**
 * Retention deletes records; with auto_vacuum=INCREMENTAL their pages can be given back
 * to the file system (PRAGMA incremental_vacuum), so the file shrinks instead of only
 * stopping to grow. Only ever called for Streamtap's own database (a foreign file was
 * refused before this) holding the recorder lock. A database made by an older Streamtap
 * (auto_vacuum NONE) is converted once by VACUUM, which rewrites the file (0.5 to 1.3 s
 * for 100 MB measured on a busy machine, and as much free disk space while it runs); if that fails
 * (no space, another process reading), the file stays as it was, retention still
 * deletes (freed pages are reused, the file stops growing) and the next start tries
 * again.
 */
function enableIncrementalVacuum(sqlite: Database.Database): void {
  if (sqlite.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL) return;
  sqlite.pragma('auto_vacuum = INCREMENTAL');
  const objects = sqlite.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number;
  // A new file: the setting takes effect with the first table (the migrations').
  if (objects === 0) return;
  try {
    sqlite.exec('VACUUM');
    // In WAL mode VACUUM writes the whole database into the WAL: put it back in the file
    // and cut the WAL, or the file on disk doubles until the next checkpoint.
    sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch {
    // See above: left as it was, tried again at the next start.
  }
}

/** StoreOpenError.code when another recorder holds the database. */
export const RECORDER_LOCKED = 'STREAMTAP_RECORDER_LOCKED';

/** Runs a guard; SQLite and addon failures become one-line StoreOpenErrors. */
function guarded<T>(file: string, nativeBinding: string | undefined, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof StoreOpenError) throw e;
    if (e instanceof Database.SqliteError) throw openError(file, e);
    if (errorCode(e) === 'ENOENT' && /_journal\.json/.test(firstLine(e))) {
      throw new StoreOpenError(`Cannot prepare ${file}: migrations are missing (${firstLine(e)})`, file, 'ENOENT', { cause: e });
    }
    throw loadError(file, nativeBinding, e);
  }
}

function loadError(file: string, nativeBinding: string | undefined, e: unknown): StoreOpenError {
  if (e instanceof Database.SqliteError) return openError(file, e);
  if (e instanceof StoreOpenError) return e;
  const code = errorCode(e);
  // A file-system error opening the database itself (a folder given as --db, no access).
  if (code && /^E[A-Z]+$/.test(code) && !(e instanceof Error && /\.node\b|ELF|NODE_MODULE_VERSION/.test(e.message))) {
    return new StoreOpenError(`Cannot open ${file} (${firstLine(e)})`, file, code, { cause: e });
  }
  // Anything else comes from loading the addon: missing file, wrong ABI, bad ELF.
  const which = nativeBinding ?? "better-sqlite3's default build";
  return new StoreOpenError(`Cannot load the SQLite native module ${which} (${firstLine(e)})`, file, code, { cause: e });
}

function refusal(file: string, found: Extract<Inspection, { kind: 'refused' }>): StoreOpenError {
  switch (found.why) {
    case 'unopenable':
      return new StoreOpenError(`Cannot open ${file} (${found.detail})`, file, found.code);
    case 'not_sqlite':
    case 'foreign':
      return new StoreOpenError(`${file} is not a Streamtap database (${found.detail})`, file, found.code);
    case 'corrupted':
      return new StoreOpenError(
        `${file}: the database is corrupted (${found.detail}). Streamtap left it as it was; move it aside (or restore a backup) and start again.`,
        file,
        found.code ?? 'SQLITE_CORRUPT',
      );
    case 'newer':
      return new StoreOpenError(`${file} was written by a newer version of Streamtap; update Streamtap or choose another database file`, file, null);
  }
}

/** drizzle wraps driver errors ("Failed to run the query '…'"); the SQLite error is the cause. */
function sqliteCause(e: unknown): unknown {
  if (e instanceof Database.SqliteError) return e;
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause instanceof Database.SqliteError ? cause : e;
}

function openError(file: string, e: unknown): StoreOpenError {
  const code = errorCode(e);
  const why = firstLine(e);
  let message: string;
  if (code === 'SQLITE_NOTADB') message = `${file} is not a Streamtap database (${why})`;
  else if (code?.startsWith('SQLITE_CORRUPT')) message = `${file} is damaged and cannot be read (${why})`;
  else if (code?.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH')
    message = `Cannot write to ${file} (${why})`;
  else if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED'))
    message = `${file} is locked by another process (${why})`;
  else message = `Cannot open ${file} (${why})`;
  return new StoreOpenError(message, file, code, { cause: e });
}

function errorCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}


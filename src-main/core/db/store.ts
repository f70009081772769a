// The record store: the only module that talks to SQLite (better-sqlite3 + drizzle).
// The recorder writes through it, and the dashboard (IPC and HTTP), the exporters and
// the CLI read through it, all in one process per database connection.
//
// Writes never touch SQLite on the caller's stack: insert() and update() only queue,
// coalescing updates per record, and a timer writes the queue in one transaction.
// better-sqlite3 is synchronous, so writing a chunk's checkpoint inline would block
// the event loop, and with it every stream, for the duration of a disk write.
//
// Reads never wait for the writer either: they run on this thread's own connection,
// which in WAL mode reads the last committed snapshot while the writer thread commits.
// get() and requestBody() also show what is queued or being written; a caller that
// needs its own writes in a list or a count first awaits written(), which resolves
// when the writer thread reports them committed (the event loop keeps running).
//
// When a write fails (disk full, database locked by another process, I/O error) the
// store goes "degraded": it keeps the queue (bounded), retries with backoff and
// reports the state through status()/onStatus(), and never throws at the recorder.

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, count, desc, eq, getTableColumns, inArray, isNotNull, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { OUTCOMES } from '../../common/record.js';
import type { ApiKind, CapturedBody, Outcome, Phase, RecordFilter, RequestRecord, RequestSummary, Usage } from '../../common/record.js';
import { filterWhere } from './filter-sql.js';
import { rowToRecord, rowToSummary, toColumns } from './row-mapping.js';
import { requestBodies, requests } from './schema.js';
import { createInlineExecutor, createWorkerExecutor, JOURNAL_SIZE_LIMIT, type WriteExecutor, type WriteOp, type WriteResult } from './write-executor.js';
import { acquireRecorderLock, inspectDatabase, type Inspection, type RecorderLock } from './open-guards.js';
import type { BodiesRow, RequestsRow } from './schema.js';

// ---------------------------------------------------------------------------------
// Public types

export interface OpenStoreOptions {
  /** database file; parent folders are created. ':memory:' works for tests. */
  path: string;
  /** path of a better_sqlite3.node to load instead of node_modules' build (Electron; see native-binding.ts) */
  nativeBinding?: string;
  /** folder of drizzle migrations; defaults to defaultMigrationsFolder() */
  migrationsFolder?: string;
  /** how long queued writes wait before they are written together (ms) */
  flushIntervalMs?: number;
  /** queued operations kept while writes fail; beyond it the oldest checkpoints are dropped */
  maxQueue?: number;
  /** how long a write waits for another connection's lock before it fails (ms) */
  busyTimeoutMs?: number;
  now?: () => number;
  /** test hook: called before each write transaction; throwing makes that flush fail */
  faultInjector?: () => void;
  /** open for reading only (export, tail, sessions): never writes, never migrates, takes no lock */
  readOnly?: boolean;
  /** take the recorder's lock (default for a writable file); off only for a test that
   * seeds a database beside a running recorder */
  lock?: boolean;
}

export interface PageRequest {
  limit: number;
  /** keyset cursor: only rows strictly older than this (startedAt, id) */
  before?: { startedAt: number; id: string };
}

/** Counts per equal time bucket from `from` (epoch ms); `failed` counts every outcome but
 * completed and in_progress, plus truncated answers (the dashboard's "cut off or failed"). */
export interface Histogram {
  from: number;
  bucketMs: number;
  requests: number[];
  failed: number[];
}

export interface RecordsSummary {
  requests: number;
  byOutcome: Record<Outcome, number>;
  truncated: number;
  inputTokens: number;
  outputTokens: number;
  medianTtftMs: number | null;
}

/** What the sessions list reads of each request of a session: enough for its totals,
 * title, turns, ending and cost, without the heavy parts (evidence, timings, bodies). */
export interface SessionLedgerRow {
  id: string;
  sessionId: string;
  sessionInferred: boolean;
  turnId: string;
  startedAt: number;
  endedAt: number | null;
  client: string | null;
  api: ApiKind;
  outcome: Outcome;
  truncated: boolean;
  diagnosis: string;
  upstream: string;
  upstreamUrl: string;
  /** the model the provider reported, else the one requested */
  model: string | null;
  usage: Usage;
  /** ConversationFacts.messages and .firstPrompt, for the session's title */
  messages: number | null;
  firstPrompt: string | null;
}

export interface StoreStatus {
  /** writes are failing; queued records wait in memory and are retried */
  degraded: boolean;
  /** operations waiting to be written */
  queued: number;
  /** operations lost: dropped from a full queue, rejected by SQLite, or queued after close */
  dropped: number;
  lastError: string | null;
  /** when the store became degraded (epoch ms), null when healthy */
  since: number | null;
}

export interface RetentionPolicy {
  /** delete records that started before this (epoch ms); null: none by age */
  olderThan: number | null;
  /** keep the database within this many bytes, deleting the oldest records first; null: no limit */
  maxBytes: number | null;
}

export interface RetentionResult {
  deleted: number;
  /** sizeOnDisk() before and after the run */
  bytesBefore: number;
  bytesAfter: number;
  /** false when the run stopped at its bounds (or the writer failed) before the policy was met */
  complete: boolean;
}

export type DistinctColumn = 'model' | 'client' | 'upstream' | 'session_id';

export type InterruptedDescriber = (rec: RequestRecord) => { diagnosis: string; phase: Phase | null };

export interface Store {
  readonly path: string;
  /** queue a new record (written within flushIntervalMs) */
  insert(rec: RequestRecord): void;
  /** queue a change; changes to one record before a flush are merged */
  update(id: string, patch: Partial<RequestRecord>): void;
  /** write the queue now, BLOCKING this thread for at most `timeoutMs` until the writer
   * is done (default 10 s): for shutdown only (and tests); reads use written().
   * True when nothing is left queued. Never throws. */
  flush(timeoutMs?: number): boolean;
  /** Resolves once everything queued before the call is committed (true), or once
   * writing fails or the store closes (false): reads after it see those writes. Starts
   * the write at once rather than at the next interval; never blocks the thread. */
  written(): Promise<boolean>;
  /** the record as last written, with what is queued or being written laid over it */
  get(id: string): RequestRecord | null;
  /** Reads below see committed writes only (see written()). Newest first. */
  list(filter: RecordFilter, page: PageRequest): RequestSummary[];
  count(filter: RecordFilter): number;
  summary(filter: RecordFilter): RecordsSummary;
  /** requests and cut-off-or-failed requests per time bucket, over the filter's span */
  histogram(filter: RecordFilter, buckets: number): Histogram;
  /** full records, read a page at a time (for exports) */
  iterate(filter: RecordFilter, order?: 'asc' | 'desc'): Generator<RequestRecord>;
  distinct(column: DistinctColumn): string[];
  /** ids of the sessions with at least one request matching `filter`, the session
   * whose latest request started last first */
  sessionIds(filter: RecordFilter, limit: number): string[];
  /** every request of these sessions, oldest first, reduced to a ledger row */
  sessionLedger(sessionIds: readonly string[]): SessionLedgerRow[];
  /** every attempt of these turns, oldest first */
  turnAttempts(turnIds: readonly string[]): RequestSummary[];
  /** the turn a request is an attempt of, null for an unknown request */
  turnIdOf(id: string): string | null;
  /** a request's captured body, without reading the rest of the record */
  requestBody(id: string): CapturedBody | null;
  /** mark records left in_progress by a previous run as interrupted; call before taking traffic */
  recoverInterrupted(describe: InterruptedDescriber): Promise<number>;
  /** Deletes what the policy no longer keeps, a short transaction per batch on the
   * writer, then gives the freed pages back to the file system (see runRetention).
   * Runs one at a time: a call during a run starts after it. Never rejects. */
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  /** Bytes the database takes on disk: the file and its WAL (0 in memory). */
  sizeOnDisk(): number;
  status(): StoreStatus;
  /** called when the degraded state changes; returns the unsubscribe function */
  onStatus(listener: (status: StoreStatus) => void): () => void;
  /** flush, then close the connection; idempotent. `timeoutMs` bounds the whole wait
   * for the writer (a quit must finish before the shell's exit timer); what is still
   * unwritten then is lost. */
  close(opts?: { timeoutMs?: number }): void;
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

// ---------------------------------------------------------------------------------
// Constants

const DEFAULT_FLUSH_INTERVAL_MS = 100;
const DEFAULT_MAX_QUEUE = 20_000;
const DEFAULT_BUSY_TIMEOUT_MS = 2_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** records per page for iterate() and recoverInterrupted(): bounds memory for large exports */
const READ_PAGE = 200;
/** distinct update shapes whose statements are kept prepared */
const MAX_CACHED_STATEMENTS = 256;
/** the longest wait for the writer thread: a synchronous flush (shutdown), written(), recovery, retention */
const DRAIN_TIMEOUT_MS = 10_000;
/** Records deleted per retention transaction: a batch of 4 MiB bodies frees ~100k pages,
 * a few tens of ms on the writer, so live streams' writes wait at most that long. */
const RETENTION_BATCH = 50;
/** the first batch deleted for size, which measures what a record takes */
const RETENTION_FIRST_BATCH = 5;
/** pages given back to the file system per incremental_vacuum step (16 MiB of 4 KiB pages) */
const VACUUM_STEP_PAGES = 4_096;
/** a size-limited database is cut to this fraction of its limit, so it is not trimmed
 * again after every few requests */
const RETENTION_TARGET = 0.9;
/** one retention run stops after this many batches or this long (it resumes at the next) */
const RETENTION_MAX_BATCHES = 100_000;
const RETENTION_BUDGET_MS = 10 * 60_000;
/** PRAGMA auto_vacuum's value for INCREMENTAL */
const AUTO_VACUUM_INCREMENTAL = 2;

// ---------------------------------------------------------------------------------
// Opening

export function openStore(opts: OpenStoreOptions): Store {
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
      throw new StoreOpenError(`Cannot create the folder for ${file} (${reason(e)})`, file, errorCode(e), { cause: e });
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
        `Cannot prepare ${file}: migrations from ${migrationsFolder} failed (${reason(e)})`,
        file,
        errorCode(e),
        { cause: e },
      );
    }
  }
  return new SqliteStore(file, sqlite, db, { ...opts, readOnly }, releaseLock);
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
    if (errorCode(e) === 'ENOENT' && /_journal\.json/.test(reason(e))) {
      throw new StoreOpenError(`Cannot prepare ${file}: migrations are missing (${reason(e)})`, file, 'ENOENT', { cause: e });
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
    return new StoreOpenError(`Cannot open ${file} (${reason(e)})`, file, code, { cause: e });
  }
  // Anything else comes from loading the addon: missing file, wrong ABI, bad ELF.
  const which = nativeBinding ?? "better-sqlite3's default build";
  return new StoreOpenError(`Cannot load the SQLite native module ${which} (${reason(e)})`, file, code, { cause: e });
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
  const why = reason(e);
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

/** The first line of an error's message, for one-line reports. */
function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n', 1)[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

// ---------------------------------------------------------------------------------
// The write queue

type Op =
  | { kind: 'insert'; rec: RequestRecord }
  | { kind: 'update'; patch: Partial<RequestRecord>; final: boolean };

/** A final update settles the outcome; losing it would leave the row looking live. */
/** Characters of large text one write batch carries (about 8 MiB). */
const BATCH_TEXT_CHARS = 8 * 1024 * 1024;

/** The long texts an operation writes (request and response bodies, answer, reasoning). */
function textChars(op: Op): number {
  const r = op.kind === 'insert' ? op.rec : op.patch;
  return (r.requestBody?.text.length ?? 0) + (r.responseBody?.text.length ?? 0) + (r.responseText?.length ?? 0) + (r.responseReasoning?.length ?? 0);
}

function isFinalPatch(patch: Partial<RequestRecord>): boolean {
  return patch.outcome !== undefined && patch.outcome !== 'in_progress';
}

/** Copies the patch's defined fields (not `id`) onto `target`; returns how many. */
function assignDefined(target: Partial<RequestRecord>, patch: Partial<RequestRecord>): number {
  let n = 0;
  for (const k in patch) {
    const v = (patch as Record<string, unknown>)[k];
    if (v !== undefined && k !== 'id') {
      (target as Record<string, unknown>)[k] = v;
      n++;
    }
  }
  return n;
}

/** A copy without `id` and without keys set to undefined (absent = unchanged). */
function cleanPatch(patch: Partial<RequestRecord>): Partial<RequestRecord> {
  const out: Record<string, unknown> = {};
  for (const k in patch) {
    const v = (patch as Record<string, unknown>)[k];
    if (v !== undefined && k !== 'id') out[k] = v;
  }
  return out as Partial<RequestRecord>;
}

function first<T>(it: Iterable<T>): T | undefined {
  for (const v of it) return v;
  return undefined;
}

type ColumnList = [field: string, column: SQLiteColumn][];

function columnList(table: SQLiteTable): ColumnList {
  return Object.entries(getTableColumns(table)) as ColumnList;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** TypeScript-side value to what SQLite stores (booleans to 0/1, JSON to text), via the schema. */
function toDriver(column: SQLiteColumn, value: unknown): unknown {
  return value === null || value === undefined ? null : column.mapToDriverValue(value);
}

interface JoinedRow {
  requests: RequestsRow;
  request_bodies: BodiesRow | null;
}

interface RawLedgerRow {
  id: string;
  session_id: string;
  session_inferred: number;
  turn_id: string;
  started_at: number;
  ended_at: number | null;
  client: string | null;
  api: ApiKind;
  outcome: Outcome;
  truncated: number;
  diagnosis: string;
  upstream: string;
  upstream_url: string;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cached_tokens: number | null;
  total_tokens: number | null;
  usage_estimated: number;
  messages: number | null;
  first_prompt: string | null;
}

/** Ids per IN (…) list: far below SQLite's bound-parameter limit. */
const IN_CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

interface WrittenWaiter {
  inFlight: boolean;
  ids: Set<string>;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

class SqliteStore implements Store {
  private readonly queue = new Map<string, Op>();
  // Eviction order when the queue is full: plain checkpoints first, then final
  // updates, inserts last. Sets keep insertion order, so first() is the oldest.
  private readonly checkpointIds = new Set<string>();
  private readonly finalIds = new Set<string>();

  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly now: () => number;
  private readonly faultInjector: (() => void) | undefined;

  private timer: NodeJS.Timeout | null = null;
  /** the last batch left queued operations behind (its text budget was spent) */
  private leftBehind = false;
  private retryDelayMs = RETRY_MIN_MS;
  private degraded = false;
  private since: number | null = null;
  private lastError: string | null = null;
  private dropped = 0;
  private closed = false;
  private readonly listeners = new Set<(s: StoreStatus) => void>();

  // The write path builds raw SQL with positional arguments: drizzle's builder would
  // rebuild the SQL string for each of thousands of queued operations. The column lists
  // still come from the drizzle schema, so both stay in step. The statements run on
  // the executor (a worker thread for files), never on the proxy's event loop.
  private readonly mainColumns = columnList(requests);
  private readonly bodyColumns = columnList(requestBodies);
  private readonly mainByField = new Map(this.mainColumns);
  private readonly bodyByField = new Map(this.bodyColumns);
  private readonly upsertMainSql = upsertSql('requests', this.mainColumns);
  private readonly upsertBodySql = upsertSql('request_bodies', this.bodyColumns);
  private readonly updateSql = new Map<string, string>();
  private readonly executor: WriteExecutor;
  /** the batch being written; its ops are back in the queue if it fails */
  private inFlight: [string, Op][] | null = null;
  /** the same ops by record id, for get() while the batch is being written */
  private inFlightById = new Map<string, Op>();
  /** callers of written(): each waits for the batch in flight at its call (if any), then
   * for a successful batch carrying each record that was queued at its call */
  private readonly writtenWaiters = new Set<WrittenWaiter>();
  private readonly getQuery;

  private readonly readOnly: boolean;
  /** the retention run under way (or the last one) */
  private retention: Promise<RetentionResult> | null = null;

  constructor(
    readonly path: string,
    private readonly sqlite: Database.Database,
    private readonly db: BetterSQLite3Database,
    opts: OpenStoreOptions,
    private readonly releaseLock: () => void,
  ) {
    this.flushIntervalMs = Math.max(0, opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.maxQueue = Math.max(1, opts.maxQueue ?? DEFAULT_MAX_QUEUE);
    this.now = opts.now ?? Date.now;
    this.faultInjector = opts.faultInjector;
    this.readOnly = opts.readOnly === true;

    const inMemory = path === ':memory:' || path === '';
    // A read-only store has nothing to write, and no writer thread to start.
    this.executor = inMemory || this.readOnly
      ? createInlineExecutor(sqlite)
      : createWorkerExecutor({
          file: path,
          busyTimeoutMs: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
          ...(opts.nativeBinding !== undefined ? { nativeBinding: opts.nativeBinding } : {}),
        });

    this.getQuery = db
      .select()
      .from(requests)
      .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
      .where(eq(requests.id, sql.placeholder('id')))
      .prepare();
  }

  // ---- writes -------------------------------------------------------------------

  insert(rec: RequestRecord): void {
    if (this.readOnly) return this.lose(`${this.path} was opened read-only`);
    if (typeof rec?.id !== 'string') return this.lose('insert without a string id');
    if (this.closed) return this.lose(`record ${rec.id} arrived after the store was closed`);
    // A shallow copy, so later patches merge into our copy, not the caller's object.
    const copy = { ...rec };
    if (this.queue.has(rec.id)) {
      // A full record supersedes whatever was queued for it (the write is an upsert).
      this.checkpointIds.delete(rec.id);
      this.finalIds.delete(rec.id);
    }
    this.queue.set(rec.id, { kind: 'insert', rec: copy });
    this.afterEnqueue();
  }

  update(id: string, patch: Partial<RequestRecord>): void {
    if (this.readOnly) return this.lose(`${this.path} was opened read-only`);
    if (typeof id !== 'string' || patch === null || typeof patch !== 'object') {
      return this.lose('update without a string id or a patch object');
    }
    if (this.closed) return this.lose(`update of ${id} arrived after the store was closed`);
    const op = this.queue.get(id);
    // Merged in place: the queued record and patches are this store's own copies, and
    // building new objects on every checkpoint is measurable on the request path.
    if (op?.kind === 'insert') {
      // insert then update before a flush: one INSERT with the merged record
      if (assignDefined(op.rec, patch) === 0) return;
    } else if (op?.kind === 'update') {
      if (assignDefined(op.patch, patch) === 0) return;
      if (!op.final && isFinalPatch(patch)) {
        op.final = true;
        this.checkpointIds.delete(id);
        this.finalIds.add(id);
      }
    } else {
      const clean = cleanPatch(patch);
      if (Object.keys(clean).length === 0) return;
      const final = isFinalPatch(clean);
      this.queue.set(id, { kind: 'update', patch: clean, final });
      (final ? this.finalIds : this.checkpointIds).add(id);
    }
    this.afterEnqueue();
  }

  private afterEnqueue(): void {
    while (this.queue.size > this.maxQueue) {
      const victim = first(this.checkpointIds) ?? first(this.finalIds) ?? first(this.queue.keys());
      if (victim === undefined) break;
      this.removeQueued(victim);
      this.dropped++;
    }
    this.schedule();
  }

  private removeQueued(id: string): void {
    this.queue.delete(id);
    this.checkpointIds.delete(id);
    this.finalIds.delete(id);
  }

  private lose(why: string): void {
    this.dropped++;
    this.lastError = why;
  }

  private schedule(): void {
    if (this.timer || this.closed || this.inFlight || this.queue.size === 0) return;
    // What a budget-limited batch left behind is not made to wait a whole interval.
    const delay = this.degraded ? this.retryDelayMs : this.leftBehind ? 0 : this.flushIntervalMs;
    this.leftBehind = false;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send();
    }, delay);
    // Pending writes must not keep a CLI process alive; close() flushes them.
    this.timer.unref();
  }

  /** Writes everything queued now and waits for it (shutdown needs that). */
  flush(timeoutMs?: number): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed) return this.queue.size === 0;
    // Without a bound each wait (a batch in flight, then each next one) gets the default.
    const deadline = timeoutMs === undefined ? null : Date.now() + timeoutMs;
    const left = () => (deadline === null ? DRAIN_TIMEOUT_MS : Math.max(0, deadline - Date.now()));
    this.executor.drainSync(left());
    // A batch may take only part of the queue (see BATCH_TEXT_CHARS): go on until it is
    // empty, until writing fails (the store is then degraded and retries later), or
    // until the bound is spent.
    for (let i = 0; i < 10_000 && this.queue.size > 0; i++) {
      this.send();
      if (!this.executor.drainSync(left()) || this.degraded) break;
    }
    return this.queue.size === 0 && this.inFlight === null;
  }

  /** Hands the queue to the executor as one batch; returns at once for a worker. */
  private send(): void {
    if (this.closed || this.inFlight || this.queue.size === 0) return;
    // Large texts are encoded for the writer thread on this thread: a batch takes them
    // up to a budget, so ten large bodies finishing together cost ten short pauses
    // rather than one long one. The rest goes in the next batch, at once.
    const ops: [string, Op][] = [];
    let chars = 0;
    for (const entry of this.queue) {
      if (ops.length > 0 && chars >= BATCH_TEXT_CHARS) break;
      ops.push(entry);
      chars += textChars(entry[1]);
    }
    let batch: WriteOp[];
    try {
      this.faultInjector?.();
      batch = ops.map(([id, op]) => this.build(id, op));
    } catch (e) {
      this.failed(e);
      return;
    }
    this.inFlight = ops;
    this.inFlightById = new Map(ops);
    this.leftBehind = ops.length < this.queue.size;
    if (ops.length === this.queue.size) {
      this.queue.clear();
      this.checkpointIds.clear();
      this.finalIds.clear();
    } else {
      for (const [id] of ops) this.removeQueued(id);
    }
    this.executor.submit(batch, (result) => this.settled(result));
  }

  private settled(result: WriteResult): void {
    const ops = this.inFlight ?? [];
    this.inFlight = null;
    this.inFlightById = new Map();
    if (result.ok) {
      for (const r of result.rejected) {
        this.dropped++;
        this.lastError = `record ${r.id} was rejected by SQLite (${reason(new Error(r.message))})`;
      }
      this.recovered();
      this.batchWritten(ops);
      // A reader still waits for records queued behind this batch: write them now
      // rather than at the next interval.
      if (this.writtenWaiters.size > 0 && this.queue.size > 0) this.sendNow();
      else this.schedule();
      return;
    }
    this.requeue(ops);
    this.failed(Object.assign(new Error(result.message), { code: result.code }));
  }

  written(): Promise<boolean> {
    if (this.closed) return Promise.resolve(this.queue.size === 0);
    if (this.queue.size === 0 && !this.inFlight) return Promise.resolve(true);
    if (this.degraded) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // Bounded like a synchronous flush: a writer that never answers leaves the reader
      // with what is on disk, not waiting forever.
      const timer = setTimeout(() => this.settleWaiter(waiter, false), DRAIN_TIMEOUT_MS);
      timer.unref();
      const waiter: WrittenWaiter = { inFlight: this.inFlight !== null, ids: new Set(this.queue.keys()), resolve, timer };
      this.writtenWaiters.add(waiter);
      // Someone is waiting: write now rather than at the next interval.
      if (!this.inFlight) this.sendNow();
    });
  }

  private sendNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.send();
  }

  /** A batch was committed: the waiters whose records were all in it (or in earlier ones) resolve. */
  private batchWritten(ops: [string, Op][]): void {
    for (const w of this.writtenWaiters) {
      // The first batch to settle after a call is the one that was in flight at it.
      if (w.inFlight) w.inFlight = false;
      else for (const [id] of ops) w.ids.delete(id);
      // A record no longer queued was written by now, or dropped from a full queue.
      for (const id of w.ids) if (!this.queue.has(id)) w.ids.delete(id);
      if (w.ids.size === 0 && !w.inFlight) this.settleWaiter(w, true);
    }
  }

  private settleWaiter(w: WrittenWaiter, ok: boolean): void {
    if (!this.writtenWaiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(ok);
  }

  private settleWaiters(ok: boolean): void {
    for (const w of [...this.writtenWaiters]) this.settleWaiter(w, ok);
  }

  /** A failed batch goes back in front of what was queued since, merged per record. */
  private requeue(older: [string, Op][]): void {
    const newer = new Map(this.queue);
    this.queue.clear();
    this.checkpointIds.clear();
    this.finalIds.clear();
    const put = (id: string, op: Op) => {
      this.queue.set(id, op);
      if (op.kind === 'update') (op.final ? this.finalIds : this.checkpointIds).add(id);
    };
    for (const [id, op] of older) {
      const next = newer.get(id);
      newer.delete(id);
      if (!next || next.kind === 'insert') put(id, next ?? op);
      else if (op.kind === 'insert') put(id, { kind: 'insert', rec: { ...op.rec, ...next.patch } });
      else put(id, { kind: 'update', patch: { ...op.patch, ...next.patch }, final: op.final || next.final });
    }
    for (const [id, op] of newer) put(id, op);
    while (this.queue.size > this.maxQueue) {
      const victim = first(this.checkpointIds) ?? first(this.finalIds) ?? first(this.queue.keys());
      if (victim === undefined) break;
      this.removeQueued(victim);
      this.dropped++;
    }
  }

  private failed(e: unknown): void {
    this.lastError = reason(e);
    // A degraded store retries with backoff, maybe for minutes: a waiting reader gets
    // what is on disk now rather than wait for it (reads are not held up by a broken disk).
    this.settleWaiters(false);
    if (this.degraded) {
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
    } else {
      this.degraded = true;
      this.since = this.now();
      this.retryDelayMs = RETRY_MIN_MS;
      this.emitStatus();
    }
    this.schedule();
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.since = null;
    this.lastError = null;
    this.retryDelayMs = RETRY_MIN_MS;
    this.emitStatus();
  }

  private emitStatus(): void {
    const s = this.status();
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch {
        // A failing listener must not break the write path or the other listeners.
      }
    }
  }

  /** The statements that write one queued op (run later, on the executor). */
  private build(id: string, op: Op): WriteOp {
    if (op.kind === 'insert') {
      const cols = toColumns(op.rec, true);
      const main: Record<string, unknown> = { ...(cols.main as Record<string, unknown>), id };
      const body: Record<string, unknown> = { ...(cols.body as Record<string, unknown>), id };
      return {
        id,
        stmts: [
          [this.upsertMainSql, this.mainColumns.map(([field, col]) => toDriver(col, main[field]))],
          [this.upsertBodySql, this.bodyColumns.map(([field, col]) => toDriver(col, body[field]))],
        ],
      };
    }
    const cols = toColumns(op.patch);
    const stmts: WriteOp['stmts'] = [];
    const main = this.updateStmt('requests', this.mainByField, cols.main as Record<string, unknown>, id);
    if (main) stmts.push(main);
    const body = this.updateStmt('request_bodies', this.bodyByField, cols.body as Record<string, unknown>, id);
    if (body) stmts.push(body);
    return { id, stmts };
  }

  private updateStmt(table: string, columns: Map<string, SQLiteColumn>, values: Record<string, unknown>, id: string): [string, unknown[]] | null {
    const fields = Object.keys(values).filter((f) => f !== 'id');
    if (fields.length === 0) return null;
    // One SQL text per update shape (which columns it sets, in the order toColumns
    // produced them): the recorder sends a handful of shapes over and over, and the
    // executor keeps each shape's statement prepared.
    const key = `${table}:${fields.join(',')}`;
    let text = this.updateSql.get(key);
    if (!text) {
      if (this.updateSql.size >= MAX_CACHED_STATEMENTS) this.updateSql.clear();
      const set = fields.map((f) => `${quote(columns.get(f)!.name)} = ?`);
      text = `UPDATE ${quote(table)} SET ${set.join(', ')} WHERE "id" = ?`;
      this.updateSql.set(key, text);
    }
    const args = fields.map((f) => toDriver(columns.get(f)!, values[f]));
    args.push(id);
    return [text, args];
  }

  status(): StoreStatus {
    return {
      degraded: this.degraded,
      queued: this.queue.size,
      dropped: this.dropped,
      lastError: this.lastError,
      since: this.since,
    };
  }

  onStatus(listener: (status: StoreStatus) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  // ---- reads --------------------------------------------------------------------

  /** Reads never flush: waiting for the writer would hold this thread, the proxy's, for
   * as long as a commit takes (or a lock another process holds). */
  private beforeRead(): void {
    if (this.closed) throw new Error(`The store for ${this.path} is closed`);
  }

  get(id: string): RequestRecord | null {
    this.beforeRead();
    const row = this.getQuery.get({ id });
    let rec = row ? rowToRecord(row.requests, row.request_bodies) : null;
    // Oldest first: what is on disk, the batch being written, then what is queued since.
    for (const op of [this.inFlightById.get(id), this.queue.get(id)]) {
      if (!op) continue;
      if (op.kind === 'insert') rec = { ...op.rec };
      else if (rec) rec = { ...rec, ...op.patch };
    }
    return rec;
  }

  list(filter: RecordFilter, page: PageRequest): RequestSummary[] {
    this.beforeRead();
    const limit = Math.floor(page.limit);
    if (!(limit > 0)) return [];
    const b = page.before;
    const rows = this.db
      .select()
      .from(requests)
      .where(
        and(
          filterWhere(filter),
          b ? sql`(${requests.startedAt}, ${requests.id}) < (${b.startedAt}, ${b.id})` : undefined,
        ),
      )
      .orderBy(desc(requests.startedAt), desc(requests.id))
      .limit(limit)
      .all();
    return rows.map(rowToSummary);
  }

  count(filter: RecordFilter): number {
    this.beforeRead();
    return this.db.select({ n: count() }).from(requests).where(filterWhere(filter)).get()?.n ?? 0;
  }

  summary(filter: RecordFilter): RecordsSummary {
    this.beforeRead();
    const where = filterWhere(filter);
    const groups = this.db
      .select({
        outcome: requests.outcome,
        n: count(),
        truncated: sql<number>`coalesce(sum(${requests.outcome} = 'completed' and ${requests.truncated}), 0)`,
        input: sql<number>`coalesce(sum(${requests.inputTokens}), 0)`,
        output: sql<number>`coalesce(sum(${requests.outputTokens}), 0)`,
      })
      .from(requests)
      .where(where)
      .groupBy(requests.outcome)
      .all();
    const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const out: RecordsSummary = { requests: 0, byOutcome, truncated: 0, inputTokens: 0, outputTokens: 0, medianTtftMs: null };
    for (const g of groups) {
      byOutcome[g.outcome] = (byOutcome[g.outcome] ?? 0) + g.n;
      out.requests += g.n;
      out.truncated += Number(g.truncated);
      out.inputTokens += Number(g.input);
      out.outputTokens += Number(g.output);
    }
    out.medianTtftMs = this.medianTtft(where);
    return out;
  }

  histogram(filter: RecordFilter, buckets: number): Histogram {
    this.beforeRead();
    const n = Math.max(1, Math.min(500, Math.floor(buckets)));
    const where = filterWhere(filter);
    const span = this.db
      .select({ lo: sql<number | null>`min(${requests.startedAt})`, hi: sql<number | null>`max(${requests.startedAt})` })
      .from(requests)
      .where(where)
      .get();
    const from = filter.since ?? span?.lo ?? Date.now();
    const to = Math.max(from + 1, filter.until ?? (span?.hi !== null && span?.hi !== undefined ? span.hi + 1 : from + 1));
    const bucketMs = Math.max(1, Math.ceil((to - from) / n));
    const out: Histogram = { from, bucketMs, requests: new Array<number>(n).fill(0), failed: new Array<number>(n).fill(0) };
    if (span?.lo === null || span?.lo === undefined) return out;
    // Inlined integers (computed here, never user text): bound parameters would make the
    // SELECT's expression and the GROUP BY's two different expressions to SQLite.
    const int = (v: number) => sql.raw(String(Math.trunc(v)));
    const bucket = sql<number>`min(${int(n - 1)}, max(0, (${requests.startedAt} - ${int(from)}) / ${int(bucketMs)}))`;
    const rows = this.db
      .select({
        b: bucket,
        total: count(),
        failed: sql<number>`coalesce(sum(${requests.outcome} not in ('completed', 'in_progress') or (${requests.outcome} = 'completed' and ${requests.truncated})), 0)`,
      })
      .from(requests)
      .where(where)
      .groupBy(bucket)
      .all();
    for (const r of rows) {
      const i = Number(r.b);
      out.requests[i] = Number(r.total);
      out.failed[i] = Number(r.failed);
    }
    return out;
  }

  private medianTtft(where: SQL | undefined): number | null {
    const withTtft = and(where, isNotNull(requests.ttftMs));
    const n = this.db.select({ n: count() }).from(requests).where(withTtft).get()?.n ?? 0;
    if (n === 0) return null;
    // the middle value, or the two middle values for an even count
    const middle = this.db
      .select({ t: requests.ttftMs })
      .from(requests)
      .where(withTtft)
      .orderBy(asc(requests.ttftMs))
      .limit(n % 2 === 1 ? 1 : 2)
      .offset(Math.floor((n - 1) / 2))
      .all();
    const values = middle.map((r) => Number(r.t));
    return values.reduce((a, v) => a + v, 0) / values.length;
  }

  *iterate(filter: RecordFilter, order: 'asc' | 'desc' = 'asc'): Generator<RequestRecord> {
    this.beforeRead();
    const where = filterWhere(filter);
    let cursor: { startedAt: number; id: string } | null = null;
    for (;;) {
      // One page per query, no cursor held open across yields: the consumer may be
      // slow (writing a file), and the connection must stay free for the writer.
      const c: { startedAt: number; id: string } | null = cursor;
      const after: SQL | undefined = c
        ? order === 'asc'
          ? sql`(${requests.startedAt}, ${requests.id}) > (${c.startedAt}, ${c.id})`
          : sql`(${requests.startedAt}, ${requests.id}) < (${c.startedAt}, ${c.id})`
        : undefined;
      if (this.closed) throw new Error(`The store for ${this.path} is closed`);
      const rows: JoinedRow[] = this.db
        .select()
        .from(requests)
        .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
        .where(and(where, after))
        .orderBy(
          ...(order === 'asc'
            ? [asc(requests.startedAt), asc(requests.id)]
            : [desc(requests.startedAt), desc(requests.id)]),
        )
        .limit(READ_PAGE)
        .all();
      for (const row of rows) yield rowToRecord(row.requests, row.request_bodies);
      if (rows.length < READ_PAGE) return;
      const last: RequestsRow = rows[rows.length - 1]!.requests;
      cursor = { startedAt: last.startedAt, id: last.id };
    }
  }

  distinct(column: DistinctColumn): string[] {
    this.beforeRead();
    const columns = {
      model: requests.model,
      client: requests.client,
      upstream: requests.upstream,
      session_id: requests.sessionId,
    } as const;
    // The column name may come from IPC or HTTP: check it rather than trust the type.
    if (!Object.hasOwn(columns, column)) throw new Error(`Unknown column for distinct(): ${String(column)}`);
    const col = columns[column];
    return this.db
      .selectDistinct({ v: col })
      .from(requests)
      .where(isNotNull(col))
      .orderBy(asc(col))
      .all()
      .map((r) => r.v as string);
  }

  sessionIds(filter: RecordFilter, limit: number): string[] {
    this.beforeRead();
    const n = Math.floor(limit);
    if (!(n > 0)) return [];
    const where = filterWhere(filter);
    // A session matches when any of its requests does; it is ordered by all of them.
    const which = where
      ? sql`${requests.sessionId} in (select ${requests.sessionId} from ${requests} where ${and(isNotNull(requests.sessionId), where)})`
      : isNotNull(requests.sessionId);
    // Grouped on requests_session_idx (session_id, started_at, id), which holds every
    // column this reads: no table row is touched.
    return this.db
      .all<{ session_id: string }>(sql`
        select ${requests.sessionId} as session_id from ${requests}
        where ${which}
        group by ${requests.sessionId}
        order by max(${requests.startedAt}) desc, ${requests.sessionId} desc
        limit ${n}`)
      .map((r) => r.session_id);
  }

  sessionLedger(sessionIds: readonly string[]): SessionLedgerRow[] {
    this.beforeRead();
    const out: SessionLedgerRow[] = [];
    for (const ids of chunks(sessionIds)) {
      // Raw rows, not drizzle's mapped ones: a sessions list reads tens of thousands of
      // these, and mapping each column through the schema doubled the time.
      const rows = this.db.all<RawLedgerRow>(sql`
        select ${requests.id} as id, ${requests.sessionId} as session_id, ${requests.sessionInferred} as session_inferred,
          coalesce(${requests.turnId}, ${requests.id}) as turn_id, ${requests.startedAt} as started_at, ${requests.endedAt} as ended_at,
          ${requests.client} as client, ${requests.api} as api, ${requests.outcome} as outcome, ${requests.truncated} as truncated,
          ${requests.diagnosis} as diagnosis, ${requests.upstream} as upstream, ${requests.upstreamUrl} as upstream_url, coalesce(${requests.responseModel}, ${requests.model}) as model,
          ${requests.inputTokens} as input_tokens, ${requests.outputTokens} as output_tokens, ${requests.reasoningTokens} as reasoning_tokens,
          ${requests.cachedTokens} as cached_tokens, ${requests.totalTokens} as total_tokens, ${requests.usageEstimated} as usage_estimated,
          ${requests.conversationMessages} as messages, ${requests.firstPrompt} as first_prompt
        from ${requests}
        where ${inArray(requests.sessionId, ids)}`);
      for (const r of rows) {
        out.push({
          id: r.id,
          sessionId: r.session_id,
          sessionInferred: r.session_inferred === 1,
          turnId: r.turn_id,
          startedAt: r.started_at,
          endedAt: r.ended_at,
          client: r.client,
          api: r.api,
          outcome: r.outcome,
          truncated: r.truncated === 1,
          diagnosis: r.diagnosis,
          upstream: r.upstream,
          upstreamUrl: r.upstream_url,
          model: r.model,
          usage: {
            inputTokens: r.input_tokens,
            outputTokens: r.output_tokens,
            reasoningTokens: r.reasoning_tokens,
            cachedTokens: r.cached_tokens,
            totalTokens: r.total_tokens,
            estimated: r.usage_estimated === 1,
          },
          messages: r.messages,
          firstPrompt: r.first_prompt,
        });
      }
    }
    return out.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  turnAttempts(turnIds: readonly string[]): RequestSummary[] {
    this.beforeRead();
    const out: RequestSummary[] = [];
    for (const ids of chunks(turnIds)) {
      // Served by requests_turn_idx (turn_id, started_at, id).
      const rows = this.db.select().from(requests).where(inArray(requests.turnId, ids)).orderBy(asc(requests.turnId), asc(requests.startedAt), asc(requests.id)).all();
      for (const r of rows) out.push(rowToSummary(r));
    }
    return out.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  turnIdOf(id: string): string | null {
    this.beforeRead();
    const row = this.db.select({ id: requests.id, turnId: requests.turnId }).from(requests).where(eq(requests.id, id)).get();
    return row ? (row.turnId ?? row.id) : null;
  }

  requestBody(id: string): CapturedBody | null {
    this.beforeRead();
    for (const op of [this.queue.get(id), this.inFlightById.get(id)]) {
      if (op?.kind === 'insert') return op.rec.requestBody;
      if (op?.kind === 'update' && op.patch.requestBody) return op.patch.requestBody;
    }
    const row = this.db
      .select({ text: requestBodies.requestBodyText, bytes: requestBodies.requestBodyBytes, truncated: requestBodies.requestBodyTruncated })
      .from(requestBodies)
      .where(eq(requestBodies.id, id))
      .get();
    return row ? { text: row.text, bytes: row.bytes, truncated: row.truncated } : null;
  }

  // ---- maintenance ----------------------------------------------------------------

  async recoverInterrupted(describe: InterruptedDescriber): Promise<number> {
    this.beforeRead();
    await this.written();
    let recovered = 0;
    let cursor: { startedAt: number; id: string } | null = null;
    // Written through the executor like every other write, and awaited (not waited for
    // on this thread): recovery runs at start, before any traffic, and the next page
    // is read only once this one is committed.
    const writePage = async (changes: [string, Partial<RequestRecord>][]) => {
      const r = await this.submitOwn(changes.map(([id, patch]) => this.build(id, { kind: 'update', patch, final: true })));
      if (!r?.ok) throw new Error(`cannot mark interrupted records: ${r ? r.message : 'the writer did not answer'}`);
    };
    for (;;) {
      const c: { startedAt: number; id: string } | null = cursor;
      const rows: JoinedRow[] = this.db
        .select()
        .from(requests)
        .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
        .where(
          and(
            eq(requests.outcome, 'in_progress'),
            c ? sql`(${requests.startedAt}, ${requests.id}) > (${c.startedAt}, ${c.id})` : undefined,
          ),
        )
        .orderBy(asc(requests.startedAt), asc(requests.id))
        .limit(READ_PAGE)
        .all();
      const changes: [string, Partial<RequestRecord>][] = [];
      for (const row of rows) {
        const rec = rowToRecord(row.requests, row.request_bodies);
        const t = rec.timings;
        // The last moment the previous run is known to have seen this request alive.
        const lastSeenMs = Math.max(0, ...[t.lastEventMs, t.ttftMs, t.firstByteMs].filter((v) => v !== null));
        const endedAt = Math.max(rec.startedAt + lastSeenMs, rec.endedAt ?? 0);
        const interrupted: RequestRecord = {
          ...rec,
          outcome: 'interrupted',
          endedAt,
          timings: { ...t, durationMs: endedAt - rec.startedAt },
          // Streamtap itself (the proxy) is the side that stopped.
          evidence: { ...rec.evidence, closeSide: 'proxy' },
        };
        const { diagnosis, phase } = describe(interrupted);
        changes.push([
          rec.id,
          {
            outcome: 'interrupted',
            endedAt,
            timings: interrupted.timings,
            evidence: interrupted.evidence,
            diagnosis,
            phase,
          },
        ]);
      }
      if (changes.length > 0) await writePage(changes);
      recovered += changes.length;
      if (rows.length < READ_PAGE) return recovered;
      const last: RequestsRow = rows[rows.length - 1]!.requests;
      cursor = { startedAt: last.startedAt, id: last.id };
    }
  }

  /** Runs a batch of the store's own (not a queued record's) on the writer; null when it
   * does not answer within DRAIN_TIMEOUT_MS. */
  private async submitOwn(ops: WriteOp[]): Promise<WriteResult | null> {
    let timer: NodeJS.Timeout | undefined;
    const r = await new Promise<WriteResult | null>((resolve) => {
      timer = setTimeout(() => resolve(null), DRAIN_TIMEOUT_MS);
      this.executor.submit(ops, resolve);
    });
    clearTimeout(timer);
    return r;
  }

  sizeOnDisk(): number {
    if (this.path === ':memory:' || this.path === '') return 0;
    let bytes = 0;
    for (const f of [this.path, `${this.path}-wal`]) {
      try {
        bytes += statSync(f).size;
      } catch {
        // no WAL file (yet, or after a clean close)
      }
    }
    return bytes;
  }

  applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const run = (this.retention ?? Promise.resolve()).then(() => this.runRetention(policy));
    this.retention = run;
    return run;
  }

  /**
   * One retention run. The ids to delete are chosen here (an index walk, oldest first,
   * never a record in progress); each batch of RETENTION_BATCH is deleted on the writer
   * in its own transaction (request_bodies go with them: ON DELETE CASCADE), queued
   * behind and ahead of the streams' writes, so none waits long. By age: every record
   * started before `olderThan`. By size: once the pages in use pass `maxBytes`, the
   * oldest records until they are under RETENTION_TARGET of it (a batch takes about as
   * many as the average record size says are over). Then the free pages are
   * given back in steps of VACUUM_STEP_PAGES and the WAL is checkpointed and truncated,
   * so the file on disk shrinks. Bounded in batches and time; what is left waits for
   * the next run.
   */
  private async runRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const bytesBefore = this.sizeOnDisk();
    const started = Date.now();
    let deleted = 0;
    let complete = false;
    try {
      const pageSize = this.pragmaNumber('page_size');
      const usedBytes = () => (this.pragmaNumber('page_count') - this.pragmaNumber('freelist_count')) * pageSize;
      const selectOlder = this.sqlite.prepare(
        `SELECT id FROM requests WHERE started_at < ? AND outcome != 'in_progress' ORDER BY started_at, id LIMIT ${RETENTION_BATCH}`,
      );
      const selectOldest = this.sqlite.prepare(`SELECT id FROM requests WHERE outcome != 'in_progress' ORDER BY started_at, id LIMIT ?`);
      let trimming = false;
      // What the records deleted for size freed so far, so each next batch takes about as
      // many records as are over the target, not a whole batch (no count(*) of a large
      // table on this thread). The first batch measures: RETENTION_FIRST_BATCH records.
      let trimmed = 0;
      let freed = 0;
      let usedBefore: number | null = null;
      for (let i = 0; i < RETENTION_MAX_BATCHES && Date.now() - started < RETENTION_BUDGET_MS; i++) {
        if (this.closed || this.degraded) break;
        let ids: string[] = [];
        if (policy.olderThan !== null) ids = selectOlder.pluck().all(policy.olderThan) as string[];
        if (ids.length === 0 && policy.maxBytes !== null) {
          const used = usedBytes();
          if (usedBefore !== null) freed += Math.max(0, usedBefore - used);
          usedBefore = null;
          trimming ||= used > policy.maxBytes;
          const target = policy.maxBytes * RETENTION_TARGET;
          if (trimming && used > target) {
            const perRecord = trimmed > 0 ? freed / trimmed : 0;
            const take = perRecord > 0 ? Math.min(RETENTION_BATCH, Math.max(1, Math.ceil((used - target) / perRecord))) : RETENTION_FIRST_BATCH;
            ids = selectOldest.pluck().all(take) as string[];
            usedBefore = used;
            trimmed += ids.length;
          }
        }
        if (ids.length === 0) {
          complete = true;
          break;
        }
        const result = await this.write([{ id: 'retention', stmts: [[`DELETE FROM requests WHERE id IN (${ids.map(() => '?').join(', ')})`, ids]] }]);
        if (!result.ok || result.rejected.length > 0) break;
        deleted += ids.length;
      }
      // Only after deleting: the pages ordinary writes free (a record's text rewritten at
      // each checkpoint) are reused by the next writes; giving them back would only churn.
      if (deleted > 0) await this.giveBackFreePages(started);
    } catch {
      // The store was closed under the run, or a read failed: what was deleted stays
      // deleted, the rest waits for the next run.
      complete = false;
    }
    return { deleted, bytesBefore, bytesAfter: this.closed ? bytesBefore : this.sizeOnDisk(), complete };
  }

  /** incremental_vacuum in steps (each its own short transaction), then a checkpoint
   * that truncates the WAL. Not for a database whose conversion did not happen. */
  private async giveBackFreePages(started: number): Promise<void> {
    if (this.pragmaNumber('auto_vacuum') !== AUTO_VACUUM_INCREMENTAL) return;
    let free = this.pragmaNumber('freelist_count');
    for (let i = 0; i < RETENTION_MAX_BATCHES && free > 0 && Date.now() - started < RETENTION_BUDGET_MS; i++) {
      if (this.closed || !(await this.maintain([`PRAGMA incremental_vacuum(${VACUUM_STEP_PAGES})`])).ok) return;
      const left = this.pragmaNumber('freelist_count');
      if (left >= free) break;
      free = left;
    }
    if (!this.closed) await this.maintain(['PRAGMA wal_checkpoint(TRUNCATE)']);
  }

  private pragmaNumber(name: string): number {
    return Number(this.sqlite.pragma(name, { simple: true }));
  }

  /** A batch on the executor, after the batches before it; resolves when written. */
  private write(ops: WriteOp[]): Promise<WriteResult> {
    if (this.closed) return Promise.resolve({ ok: false, message: 'the store is closed', code: null });
    return new Promise((resolve) => this.executor.submit(ops, resolve));
  }

  private maintain(sqls: string[]): Promise<WriteResult> {
    if (this.closed) return Promise.resolve({ ok: false, message: 'the store is closed', code: null });
    return new Promise((resolve) => this.executor.maintain(sqls, resolve));
  }

  close(opts: { timeoutMs?: number } = {}): void {
    if (this.closed) return;
    const deadline = opts.timeoutMs === undefined ? null : Date.now() + opts.timeoutMs;
    const allWritten = this.flush(deadline === null ? undefined : Math.max(0, deadline - Date.now()));
    // Whatever could not be written now is lost; say so in status().
    this.dropped += this.queue.size;
    this.queue.clear();
    this.checkpointIds.clear();
    this.finalIds.clear();
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.listeners.clear();
    this.settleWaiters(allWritten);
    this.executor.close(deadline === null ? undefined : Math.max(0, deadline - Date.now()));
    this.sqlite.close();
    // Last: the next recorder may take the file only once this one wrote everything.
    this.releaseLock();
  }
}

function upsertSql(table: string, columns: ColumnList): string {
  const names = columns.map(([, c]) => quote(c.name));
  const updates = columns
    .filter(([, c]) => c.name !== 'id')
    .map(([, c]) => `${quote(c.name)} = excluded.${quote(c.name)}`);
  // An upsert, not a plain INSERT, so a retried batch that did reach the disk cannot
  // fail on the primary key; and not INSERT OR REPLACE, which deletes the old row
  // first and would cascade to its bodies.
  return `INSERT INTO ${quote(table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT ("id") DO UPDATE SET ${updates.join(', ')}`;
}

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

import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { interruptedChanges, markInterrupted } from '../../common/interrupted.js';
import type { CapturedBody, Phase, RecordFilter, RequestRecord, RequestSummary } from '../../common/record.js';
import {
  countRequests,
  distinctValues,
  histogram,
  inProgressPage,
  iterateRecords,
  listSummaries,
  prepareGet,
  READ_PAGE,
  sessionIds,
  sessionLedger,
  storedRequestBody,
  summarize,
  turnAttempts,
  turnIdOf,
  type DistinctColumn,
  type PageRequest,
  type SessionLedgerRow,
} from './queries.js';
import type { Histogram, RequestStats } from '../../common/contract.js';
import { createInlineExecutor, createWorkerExecutor, type WriteExecutor, type WriteOp, type WriteResult } from './write-executor.js';
import { WriteQueue, type QueuedEntry, type QueuedOp } from './write-queue.js';
import { WriteStatements } from './write-statements.js';
import { withEvents } from './row-mapping.js';
import type { RecordPatch } from '../recorder/event-log.js';
import { firstLine } from '../../common/errors.js';
import { AUTO_VACUUM_INCREMENTAL, DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from './open-database.js';
import { convertSegmentBacklog, type SegmentBacklogResult } from './segment-backlog.js';
import { fillSearchBacklog, type SearchBacklogResult } from './search-backlog.js';

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

export { defaultMigrationsFolder, RECORDER_LOCKED, StoreOpenError } from './open-database.js';
export type { DistinctColumn, PageRequest, SessionLedgerRow } from './queries.js';
export type { SegmentBacklogResult } from './segment-backlog.js';
export type { SearchBacklogResult } from './search-backlog.js';

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


export type InterruptedDescriber = (rec: RequestRecord) => { diagnosis: string; phase: Phase | null };

export interface Store {
  readonly path: string;
  /** queue a new record (written within flushIntervalMs) */
  insert(rec: RequestRecord): void;
  /** queue a change; changes to one record before a flush are merged */
  update(id: string, patch: RecordPatch): void;
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
  summary(filter: RecordFilter): RequestStats;
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
  /** Resolves once the request bodies an older Streamtap stored whole are converted to
   * segments (segment-backlog.ts), which starts when a writable store opens; never
   * rejects. Reads do not wait for it: both kinds of row read back the same. */
  segmentBacklog(): Promise<SegmentBacklogResult>;
  /** Resolves once the records stored before migration 0006 are in the search index
   * (search-backlog.ts), newest first, which starts when a writable store opens; never
   * rejects. Until then a search does not find the records still to do. */
  searchBacklog(): Promise<SearchBacklogResult>;
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

// ---------------------------------------------------------------------------------
// Constants

const DEFAULT_FLUSH_INTERVAL_MS = 100;
const DEFAULT_MAX_QUEUE = 20_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
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

// ---------------------------------------------------------------------------------
// Opening

export function openStore(opts: OpenStoreOptions): Store {
  const { sqlite, db, readOnly, releaseLock } = openDatabase(opts);
  return new SqliteStore(opts.path, sqlite, db, { ...opts, readOnly }, releaseLock);
}

// ---------------------------------------------------------------------------------
// The write queue

interface WrittenWaiter {
  inFlight: boolean;
  ids: Set<string>;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

class SqliteStore implements Store {
  private readonly queue: WriteQueue;

  private readonly flushIntervalMs: number;
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

  // The statements run on the executor (a worker thread for files), never on the
  // proxy's event loop; this thread only builds them.
  private readonly statements = new WriteStatements();
  private readonly executor: WriteExecutor;
  /** the batch being written; its ops are back in the queue if it fails */
  private inFlight: QueuedEntry[] | null = null;
  /** the same ops by record id, for get() while the batch is being written */
  private inFlightById = new Map<string, QueuedOp>();
  /** callers of written(): each waits for the batch in flight at its call (if any), then
   * for a successful batch carrying each record that was queued at its call */
  private readonly writtenWaiters = new Set<WrittenWaiter>();
  private readonly getStored: (id: string) => RequestRecord | null;

  private readonly readOnly: boolean;
  /** the retention run under way (or the last one) */
  private retention: Promise<RetentionResult> | null = null;
  private readonly backlog: Promise<SegmentBacklogResult>;
  private readonly searchFill: Promise<SearchBacklogResult>;

  constructor(
    readonly path: string,
    private readonly sqlite: Database.Database,
    private readonly db: BetterSQLite3Database,
    opts: OpenStoreOptions,
    private readonly releaseLock: () => void,
  ) {
    this.flushIntervalMs = Math.max(0, opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.queue = new WriteQueue(Math.max(1, opts.maxQueue ?? DEFAULT_MAX_QUEUE));
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

    this.getStored = prepareGet(db);
    // Started at once, in the background: its batches queue on the writer between the
    // live writes, and the reads it does between them are short.
    this.backlog = this.readOnly
      ? Promise.resolve({ converted: 0, complete: true })
      : convertSegmentBacklog(sqlite, (ops) => this.write(ops), () => this.closed).catch(() => ({ converted: 0, complete: false }));
    this.searchFill = this.readOnly
      ? Promise.resolve({ rowids: 0, complete: true })
      : fillSearchBacklog(sqlite, (ops) => this.write(ops), () => this.closed).catch(() => ({ rowids: 0, complete: false }));
  }

  // ---- writes -------------------------------------------------------------------

  insert(rec: RequestRecord): void {
    if (this.readOnly) return this.lose(`${this.path} was opened read-only`);
    if (typeof rec?.id !== 'string') return this.lose('insert without a string id');
    if (this.closed) return this.lose(`record ${rec.id} arrived after the store was closed`);
    this.queue.insert(rec);
    this.afterEnqueue();
  }

  update(id: string, patch: RecordPatch): void {
    if (this.readOnly) return this.lose(`${this.path} was opened read-only`);
    if (typeof id !== 'string' || patch === null || typeof patch !== 'object') {
      return this.lose('update without a string id or a patch object');
    }
    if (this.closed) return this.lose(`update of ${id} arrived after the store was closed`);
    if (!this.queue.update(id, patch)) return;
    this.afterEnqueue();
  }

  private afterEnqueue(): void {
    this.dropped += this.queue.trim();
    this.schedule();
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
    // A batch may take only part of the queue (see WriteQueue.peekBatch): go on until it is
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
    // What the batch's text budget leaves goes in the next batch, at once.
    const ops = this.queue.peekBatch();
    let batch: WriteOp[];
    try {
      this.faultInjector?.();
      batch = ops.map(([id, op]) => this.statements.build(id, op));
    } catch (e) {
      this.failed(e);
      return;
    }
    this.inFlight = ops;
    this.inFlightById = new Map(ops);
    this.leftBehind = ops.length < this.queue.size;
    this.queue.take(ops);
    this.executor.submit(batch, (result) => this.settled(result));
  }

  private settled(result: WriteResult): void {
    const ops = this.inFlight ?? [];
    this.inFlight = null;
    this.inFlightById = new Map();
    if (result.ok) {
      for (const r of result.rejected) {
        this.dropped++;
        this.lastError = `record ${r.id} was rejected by SQLite (${firstLine(new Error(r.message))})`;
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
      const waiter: WrittenWaiter = { inFlight: this.inFlight !== null, ids: new Set(this.queue.ids()), resolve, timer };
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
  private batchWritten(ops: QueuedEntry[]): void {
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
  private requeue(older: QueuedEntry[]): void {
    this.queue.requeue(older);
    this.dropped += this.queue.trim();
  }

  private failed(e: unknown): void {
    this.lastError = firstLine(e);
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
    let rec = this.getStored(id);
    // Oldest first: what is on disk, the batch being written, then what is queued since.
    for (const op of [this.inFlightById.get(id), this.queue.get(id)]) {
      if (!op) continue;
      if (op.kind === 'insert') rec = withEvents(op.rec);
      else if (rec) rec = withEvents({ ...rec, ...op.patch });
    }
    return rec;
  }

  list(filter: RecordFilter, page: PageRequest): RequestSummary[] {
    this.beforeRead();
    return listSummaries(this.db, filter, page);
  }

  count(filter: RecordFilter): number {
    this.beforeRead();
    return countRequests(this.db, filter);
  }

  summary(filter: RecordFilter): RequestStats {
    this.beforeRead();
    return summarize(this.db, filter);
  }

  histogram(filter: RecordFilter, buckets: number): Histogram {
    this.beforeRead();
    return histogram(this.db, filter, buckets);
  }

  *iterate(filter: RecordFilter, order: 'asc' | 'desc' = 'asc'): Generator<RequestRecord> {
    // Checked before each page (the first included), not at the call: the generator runs later.
    yield* iterateRecords(this.db, filter, order, () => this.beforeRead());
  }

  distinct(column: DistinctColumn): string[] {
    this.beforeRead();
    return distinctValues(this.db, column);
  }

  sessionIds(filter: RecordFilter, limit: number): string[] {
    this.beforeRead();
    return sessionIds(this.db, filter, limit);
  }

  sessionLedger(ids: readonly string[]): SessionLedgerRow[] {
    this.beforeRead();
    return sessionLedger(this.db, ids);
  }

  turnAttempts(turnIds: readonly string[]): RequestSummary[] {
    this.beforeRead();
    return turnAttempts(this.db, turnIds);
  }

  turnIdOf(id: string): string | null {
    this.beforeRead();
    return turnIdOf(this.db, id);
  }

  requestBody(id: string): CapturedBody | null {
    this.beforeRead();
    for (const op of [this.queue.get(id), this.inFlightById.get(id)]) {
      if (op?.kind === 'insert') return op.rec.requestBody;
      if (op?.kind === 'update' && op.patch.requestBody) return op.patch.requestBody;
    }
    return storedRequestBody(this.db, id);
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
      const r = await this.submitOwn(changes.map(([id, patch]) => this.statements.build(id, { kind: 'update', patch, final: true })));
      if (!r?.ok) throw new Error(`cannot mark interrupted records: ${r ? r.message : 'the writer did not answer'}`);
    };
    for (;;) {
      const rows = inProgressPage(this.db, cursor);
      const changes: [string, Partial<RequestRecord>][] = [];
      for (const rec of rows) {
        const interrupted = markInterrupted(rec);
        changes.push([rec.id, interruptedChanges(interrupted, describe(interrupted))]);
      }
      if (changes.length > 0) await writePage(changes);
      recovered += changes.length;
      if (rows.length < READ_PAGE) return recovered;
      const last = rows[rows.length - 1]!;
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

  segmentBacklog(): Promise<SegmentBacklogResult> {
    return this.backlog;
  }

  searchBacklog(): Promise<SearchBacklogResult> {
    return this.searchFill;
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

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
  type Histogram,
  type PageRequest,
  type RecordsSummary,
  type SessionLedgerRow,
} from './queries.js';
import { createInlineExecutor, createWorkerExecutor, type WriteExecutor, type WriteOp, type WriteResult } from './write-executor.js';
import { WriteQueue, type QueuedEntry, type QueuedOp } from './write-queue.js';
import { WriteStatements } from './write-statements.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase, reason } from './open-database.js';

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
export type { DistinctColumn, Histogram, PageRequest, RecordsSummary, SessionLedgerRow } from './queries.js';

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
  /** deletes on the writer (after what is queued now); resolves to how many requests went */
  deleteOlderThan(epochMs: number): Promise<number>;
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
  }

  // ---- writes -------------------------------------------------------------------

  insert(rec: RequestRecord): void {
    if (this.readOnly) return this.lose(`${this.path} was opened read-only`);
    if (typeof rec?.id !== 'string') return this.lose('insert without a string id');
    if (this.closed) return this.lose(`record ${rec.id} arrived after the store was closed`);
    this.queue.insert(rec);
    this.afterEnqueue();
  }

  update(id: string, patch: Partial<RequestRecord>): void {
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
      if (op.kind === 'insert') rec = { ...op.rec };
      else if (rec) rec = { ...rec, ...op.patch };
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

  summary(filter: RecordFilter): RecordsSummary {
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

  async deleteOlderThan(epochMs: number): Promise<number> {
    this.beforeRead();
    if (this.readOnly) throw new Error(`${this.path} was opened read-only`);
    // Queued records older than the bound are written first, then deleted with the rest.
    await this.written();
    // On the writer thread like every write: a DELETE here would wait on its lock.
    // request_bodies rows go with them (ON DELETE CASCADE; foreign_keys is on).
    const r = await this.submitOwn([{ id: 'retention', stmts: [['DELETE FROM "requests" WHERE "started_at" < ?', [epochMs]]] }]);
    if (!r?.ok) throw new Error(`cannot delete old records: ${r ? r.message : 'the writer did not answer'}`);
    return r.changes;
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

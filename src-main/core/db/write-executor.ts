// Where the store's batched writes run. SQLite I/O is synchronous in better-sqlite3, and
// a commit can block on the disk for milliseconds (seen: 8-10 ms for a batch of 14
// small writes on an overlay filesystem). On the proxy's event loop that would delay
// every live stream's next chunk, so file-backed stores run their writes on a worker
// thread with its own connection; the main thread only builds the statements.
// In-memory stores (tests) cannot share their database with a thread and write inline.

import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** One queued record's statements, applied together (and rejected together). */
export interface WriteOp {
  id: string;
  stmts: [sql: string, args: unknown[]][];
}

export type WriteResult =
  | { ok: true; rejected: { id: string; message: string }[]; /** rows the statements changed */ changes: number }
  | { ok: false; message: string; code: string | null };

export interface WriteExecutor {
  /** Runs one batch in one IMMEDIATE transaction; `done` is called exactly once. */
  submit(ops: WriteOp[], done: (result: WriteResult) => void): void;
  /** Runs statements that must not be inside a transaction (PRAGMA incremental_vacuum,
   * wal_checkpoint), in order, after the batches before it; `done` is called once. */
  maintain(sql: readonly string[], done: (result: WriteResult) => void): void;
  /** Blocks until every submitted batch has called `done`; false on timeout. */
  drainSync(timeoutMs: number): boolean;
  /** Closes the writer's connection, waiting at most `timeoutMs` (default 5 s) for it. */
  close(timeoutMs?: number): void;
}

// The runner is plain JavaScript source, shared by both sides: the worker evaluates it,
// and the inline executor builds it with new Function, so there is one algorithm and
// no transpiler output (helpers a bundler injects) can leak into the worker.
// Batch in one IMMEDIATE transaction (the write lock is taken at BEGIN, so a busy
// database is detected before any work); on a record-specific failure (a constraint,
// a value the driver refuses) retry one record per savepoint, so one bad record cannot
// hold back the others.
const RUNNER_SOURCE = `
  const RECORD_ERROR = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
  const cache = new Map();
  const stmt = (sql) => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= 512) cache.clear();
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const isRecordError = (e) => (typeof e?.code === 'string' && RECORD_ERROR.test(e.code)) || e instanceof TypeError || e instanceof RangeError;
  let changes = 0;
  const applyOp = (op) => { for (const [sql, args] of op.stmts) changes += stmt(sql).run(args).changes; };
  const one = db.transaction(applyOp);
  const batch = db.transaction((ops) => { for (const op of ops) applyOp(op); });
  const oneByOne = db.transaction((ops) => {
    const rejected = [];
    for (const op of ops) {
      try { one(op); } catch (e) {
        if (!isRecordError(e)) throw e;
        rejected.push({ id: op.id, message: String(e?.message ?? e) });
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
      return { ok: false, message: String(e?.message ?? e), code: typeof e?.code === 'string' ? e.code : null };
    }
  };
`;

// exec() steps a statement to its end: PRAGMA incremental_vacuum frees one page per
// step, so run() (one step) would free a single page.
const MAINTAIN_SOURCE = `
  return (sql) => {
    try {
      for (const s of sql) db.exec(s);
      return { ok: true, rejected: [] };
    } catch (e) {
      return { ok: false, message: String(e?.message ?? e), code: typeof e?.code === 'string' ? e.code : null };
    }
  };
`;

type Runner = (ops: WriteOp[]) => WriteResult;
type Maintainer = (sql: readonly string[]) => WriteResult;

function makeRunner(db: Database.Database): Runner {
  return new Function('db', RUNNER_SOURCE)(db) as Runner;
}

export function createInlineExecutor(db: Database.Database): WriteExecutor {
  const run = makeRunner(db);
  const maintain = new Function('db', MAINTAIN_SOURCE)(db) as Maintainer;
  return {
    submit: (ops, done) => done(run(ops)),
    maintain: (sql, done) => done(maintain(sql)),
    drainSync: () => true,
    close: () => undefined,
  };
}

// The worker's source: CommonJS, evaluated (no separate file to bundle for Electron).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const { port, signal, file, nativeBinding, busyTimeoutMs } = workerData;
const sig = new Int32Array(signal);
const db = new Database(file, { timeout: busyTimeoutMs, ...(nativeBinding ? { nativeBinding } : {}) });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = ' + busyTimeoutMs);
db.pragma('foreign_keys = ON');
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit);
const run = ((db) => {${RUNNER_SOURCE}})(db);
const maintain = ((db) => {${MAINTAIN_SOURCE}})(db);
// Large texts arrive as transferred UTF-8 bytes (see packLargeTexts); bound as text again.
const unpack = (ops) => {
  for (const op of ops) for (const st of op.stmts) {
    const args = st[1];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a !== null && typeof a === 'object' && a.utf8 instanceof Uint8Array) args[i] = Buffer.from(a.utf8.buffer, a.utf8.byteOffset, a.utf8.byteLength).toString('utf8');
    }
  }
  return ops;
};
port.on('message', (m) => {
  let reply;
  if (m.type === 'close') {
    try { db.close(); } catch {}
    reply = { seq: m.seq, closed: true };
  } else if (m.type === 'maintain') {
    reply = { seq: m.seq, result: maintain(m.sql) };
  } else {
    reply = { seq: m.seq, result: run(unpack(m.ops)) };
  }
  // Post first, then signal: a main thread woken by the signal finds the reply queued.
  port.postMessage(reply);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
  if (reply.closed) port.close();
});
`;

/** After a checkpoint the WAL file is cut back to this size (SQLite's default keeps it
 * at its largest ever), so the bytes on disk follow the data. */
export const JOURNAL_SIZE_LIMIT = 32 * 1024 * 1024;

/** Texts at least this long cross to the writer thread as transferred bytes. */
const TRANSFER_TEXT_CHARS = 64 * 1024;

/**
 * Replaces each long text argument by its UTF-8 bytes, moved (not copied) to the
 * writer thread. Cloning a string into a message copies it on the posting thread: ten
 * 4 MiB request bodies in one batch held the proxy's event loop for hundreds of ms,
 * while encoding them is a fast native copy. Mutates `ops` (built for this batch only).
 */
function packLargeTexts(ops: WriteOp[]): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  for (const op of ops) {
    for (const st of op.stmts) {
      const args = st[1];
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string' && a.length >= TRANSFER_TEXT_CHARS) {
          // Buffer.from allocates a buffer of its own for a string this long (never the shared pool).
          const bytes = Buffer.from(a, 'utf8');
          args[i] = { utf8: bytes };
          transfer.push(bytes.buffer as ArrayBuffer);
        }
      }
    }
  }
  return transfer;
}

export function createWorkerExecutor(opts: { file: string; nativeBinding?: string; busyTimeoutMs: number }): WriteExecutor {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const sig = new Int32Array(signal);
  const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      port: port2,
      signal,
      modulePath,
      file: opts.file,
      nativeBinding: opts.nativeBinding,
      busyTimeoutMs: opts.busyTimeoutMs,
      journalSizeLimit: JOURNAL_SIZE_LIMIT,
    },
    transferList: [port2],
    // The worker needs none of the parent's loaders or flags.
    execArgv: [],
  });
  // A CLI command must be able to exit with the worker idle; close() ends it.
  worker.unref();
  const pending = new Map<number, (r: WriteResult) => void>();
  let seq = 0;
  let workerError: string | null = null;

  const handle = (m: { seq: number; result?: WriteResult; closed?: boolean }) => {
    const done = pending.get(m.seq);
    if (!done) return;
    pending.delete(m.seq);
    done(m.result ?? { ok: true, rejected: [], changes: 0 });
  };
  (port1 as MessagePort).on('message', handle);
  port1.unref();
  worker.on('error', (e) => {
    // The thread died (the addon failed to load, the file vanished): every batch in
    // flight fails, and so does every later one, which keeps the store degraded.
    workerError = e.message;
    for (const [, done] of pending) done({ ok: false, message: `store writer stopped: ${e.message}`, code: null });
    pending.clear();
  });

  const post = (message: object, done: (r: WriteResult) => void, transfer: ArrayBuffer[] = []) => {
    if (workerError) {
      done({ ok: false, message: `store writer stopped: ${workerError}`, code: null });
      return;
    }
    const s = ++seq;
    pending.set(s, done);
    port1.postMessage({ ...message, seq: s }, transfer);
  };

  const drainSync = (timeoutMs: number): boolean => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(sig, 0);
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) handle(m.message as Parameters<typeof handle>[0]);
      if (pending.size === 0) return true;
      const left = deadline - Date.now();
      if (left <= 0 || workerError) return pending.size === 0;
      // Blocks this thread only while a caller asked for a synchronous flush (a read,
      // shutdown); the streaming path never calls this.
      Atomics.wait(sig, 0, seen, left);
    }
  };

  return {
    submit: (ops, done) => {
      const transfer = packLargeTexts(ops);
      post({ type: 'batch', ops }, done, transfer);
    },
    maintain: (sql, done) => post({ type: 'maintain', sql: [...sql] }, done),
    drainSync,
    close: (timeoutMs = 5_000) => {
      if (!workerError) {
        post({ type: 'close' }, () => undefined);
        drainSync(timeoutMs);
      }
      void worker.terminate();
      port1.close();
    },
  };
}

// Where the store's batched writes run. SQLite I/O is synchronous in better-sqlite3, and
// a commit can block on the disk for milliseconds (seen: 8-10 ms for a batch of 14
// small writes on an overlay filesystem). On the proxy's event loop that would delay
// every live stream's next chunk, so file-backed stores run their writes on a worker
// thread with its own connection; the main thread only builds the statements.
// In-memory stores (tests) cannot share their database with a thread and write inline.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { writerFromSource } from './writer-from-source.js';
import { createMaintainer, createRunner, type WriteOp, type WriteResult } from './write-runner.js';
import { packArgs, unpackArgs, type WriterCommand, type WriterData, type WriterReply, type WriterRequest } from './writer-protocol.js';

export type { WriteOp, WriteResult } from './write-runner.js';

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

export function createInlineExecutor(db: Database.Database): WriteExecutor {
  const run = createRunner(db);
  const maintain = createMaintainer(db);
  return {
    // Compressed here as the writer thread would (in-memory stores: tests, read-only opens).
    submit: (ops, done) => done(run(unpackArgs(ops))),
    maintain: (sql, done) => done(maintain(sql)),
    drainSync: () => true,
    close: () => undefined,
  };
}

/** After a checkpoint the WAL file is cut back to this size (SQLite's default keeps it
 * at its largest ever), so the bytes on disk follow the data. */
export const JOURNAL_SIZE_LIMIT = 32 * 1024 * 1024;

/** The writer thread's module, next to this module: built as its own entry
 * (electron.vite.config.ts, scripts/build-cli.mjs), so a bundle finds it beside itself. */
const WRITER_MODULE = 'writer-thread';

/** Where the writer thread's code is: the built .js beside this module's bundle, else
 * (running from the sources) its .ts, bundled on the fly (see writer-from-source.ts). */
function writerEntry(): URL {
  // Named through a variable: a bundler must not take this for an asset to rewrite.
  const built = new URL(`./${WRITER_MODULE}.js`, import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : writerFromSource(new URL(`./${WRITER_MODULE}.ts`, import.meta.url));
}

/** the writer thread's young generation (V8's resourceLimits.maxYoungGenerationSizeMb) */
export const WRITER_YOUNG_GENERATION_MB = 12;

export function createWorkerExecutor(opts: { file: string; nativeBinding?: string; busyTimeoutMs: number }): WriteExecutor {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const sig = new Int32Array(signal);
  const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const data: WriterData = { port: port2, signal, modulePath, file: opts.file, nativeBinding: opts.nativeBinding, busyTimeoutMs: opts.busyTimeoutMs, journalSizeLimit: JOURNAL_SIZE_LIMIT };
  const worker = new Worker(writerEntry(), {
    workerData: data,
    transferList: [port2],
    // The worker needs none of the parent's loaders or flags.
    execArgv: [],
    // The writer's garbage is short-lived (each batch's statements and arguments; long
    // texts are large objects outside the young generation): a young generation of
    // 12 MB (4 MB semi-spaces) rather than V8's default of up to 16 MB semi-spaces:
    // measured in a worker churning short-lived objects, 24 MB less resident at the same
    // CPU time.
    resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
  });
  // A CLI command must be able to exit with the worker idle; close() ends it.
  worker.unref();
  const pending = new Map<number, (r: WriteResult) => void>();
  let seq = 0;
  let workerError: string | null = null;

  const handle = (m: WriterReply) => {
    const done = pending.get(m.seq);
    if (!done) return;
    pending.delete(m.seq);
    done('result' in m ? m.result : { ok: true, rejected: [], changes: 0 });
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

  const post = (message: WriterCommand, done: (r: WriteResult) => void, transfer: ArrayBuffer[] = []) => {
    if (workerError) {
      done({ ok: false, message: `store writer stopped: ${workerError}`, code: null });
      return;
    }
    const s = ++seq;
    pending.set(s, done);
    const request: WriterRequest = { ...message, seq: s };
    port1.postMessage(request, transfer);
  };

  const drainSync = (timeoutMs: number): boolean => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(sig, 0);
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) handle(m.message as WriterReply);
      if (pending.size === 0) return true;
      const left = deadline - Date.now();
      if (left <= 0 || workerError) return pending.size === 0;
      // Blocks this thread only while a caller asked for a synchronous flush (shutdown,
      // the desktop session ending); reads and the streaming path never call this.
      Atomics.wait(sig, 0, seen, left);
    }
  };

  return {
    submit: (ops, done) => {
      const transfer = packArgs(ops);
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

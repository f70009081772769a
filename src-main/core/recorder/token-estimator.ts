// Token counts off the proxy's thread. The encoder (tokens.ts) costs ~150 ms of CPU and
// ~70 MB to build, and most sessions never need it (providers report usage), so it is
// loaded on a worker thread started on first need, never at start and never on the
// thread that streams. A count arrives asynchronously; a caller that cannot get one (the
// worker failed to start or died, or did not answer in time) gets null and records no
// estimate. The failure is logged once.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { COUNT_SOURCE, ENCODING_MODULE } from './tokens.js';

export interface TokenEstimator {
  /** Total tokens of `texts`, counted on the worker; null when no count could be made.
   * Never rejects. Starts the worker on first call. */
  count(texts: readonly string[]): Promise<number | null>;
  /** whether the worker thread was ever started */
  readonly started: boolean;
  /** whether a worker thread is running now */
  readonly running: boolean;
  /** Ends the worker (pending counts get null); a later count() starts a new one. */
  close(): Promise<void>;
}

export interface TokenEstimatorOptions {
  /** the encoder module to load in the worker (tests point it at a missing one) */
  modulePath?: string;
  /** how long one count may take before it gets null (default 10 s: a cold start on a
   * busy machine, then a few MB of text) */
  timeoutMs?: number;
  /** where the one line about a failure goes (default: stderr) */
  log?: (message: string) => void;
  /** the worker ends after this long without a count, giving its ~60 MB back; the next
   * count starts a new one (~150 ms of the worker's CPU, none of the proxy's). Default
   * 2 minutes. */
  idleMs?: number;
}

// CommonJS, evaluated: no separate file to bundle for Electron (as the store's writer).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { countTokens } = require(workerData.modulePath);
const count = ((countTokens) => {${COUNT_SOURCE}})(countTokens);
parentPort.on('message', (m) => {
  let total = 0;
  for (const t of m.texts) total += count(typeof t === 'string' ? t : Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8'));
  parentPort.postMessage({ seq: m.seq, total });
});
parentPort.postMessage({ ready: true });
`;

/** Texts at least this long cross to the worker as transferred UTF-8 bytes: cloning a
 * string copies it on the posting thread, encoding it is a fast native copy. */
const TRANSFER_TEXT_CHARS = 64 * 1024;
/** The worker's heap is bounded: the encoder needs ~70 MB, a count a few times its text. */
const WORKER_HEAP_MB = 384;

const stderrLog = (message: string): void => {
  process.stderr.write(`streamtap: ${message}\n`);
};

export function createTokenEstimator(opts: TokenEstimatorOptions = {}): TokenEstimator {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const log = opts.log ?? stderrLog;
  const idleMs = opts.idleMs ?? 120_000;
  let idleTimer: NodeJS.Timeout | null = null;
  let worker: Worker | null = null;
  let started = false;
  /** set when the encoder could not be loaded at all: no worker is started again */
  let unavailable = false;
  let logged = false;
  let seq = 0;
  const pending = new Map<number, { resolve: (n: number | null) => void; timer: NodeJS.Timeout }>();

  const settleAll = () => {
    for (const [, p] of pending) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    pending.clear();
  };
  const fail = (why: string) => {
    if (!logged) {
      logged = true;
      log(`output tokens are not estimated for records without usage: ${why}`);
    }
  };

  const stopIdleTimer = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
  };
  const armIdleTimer = () => {
    stopIdleTimer();
    if (pending.size > 0 || !worker) return;
    const w = worker;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (worker !== w || pending.size > 0) return;
      worker = null;
      void w.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  const start = (): Worker | null => {
    if (worker) return worker;
    if (unavailable) return null;
    let modulePath: string;
    try {
      modulePath = opts.modulePath ?? createRequire(import.meta.url).resolve(ENCODING_MODULE);
    } catch (err) {
      unavailable = true;
      fail(`the tokenizer ${ENCODING_MODULE} is not installed (${(err as Error).message})`);
      return null;
    }
    started = true;
    let ready = false;
    let w: Worker;
    try {
      w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { modulePath },
        // The worker needs none of the parent's loaders or flags.
        execArgv: [],
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
    } catch (err) {
      // No threads here (a runtime without worker_threads, or out of resources).
      unavailable = true;
      fail(`the tokenizer worker did not start: ${(err as Error).message}`);
      return null;
    }
    w.on('message', (m: { ready?: true; seq?: number; total?: number }) => {
      if (m.ready) {
        ready = true;
        return;
      }
      const p = m.seq !== undefined ? pending.get(m.seq) : undefined;
      if (!p) return;
      pending.delete(m.seq!);
      clearTimeout(p.timer);
      p.resolve(typeof m.total === 'number' ? m.total : null);
      armIdleTimer();
    });
    w.on('error', (err) => {
      // Failed before it was ready: the encoder does not load here, do not retry.
      if (!ready) unavailable = true;
      fail(`the tokenizer worker ${ready ? 'stopped' : 'did not start'}: ${err.message}`);
    });
    w.on('exit', () => {
      // The current worker died: its counts will never come. (A worker retired when
      // idle or by close() had none left, and a newer one may have some by now.)
      if (worker !== w) return;
      worker = null;
      stopIdleTimer();
      settleAll();
    });
    // An idle worker must never keep a CLI command alive; a pending count's timer keeps
    // the process up until its answer (or its timeout). After the listeners: adding one
    // refs the worker again.
    w.unref();
    worker = w;
    return w;
  };

  return {
    get started() {
      return started;
    },
    get running() {
      return worker !== null;
    },
    count(texts) {
      const nonEmpty = texts.filter((t) => t.length > 0);
      if (nonEmpty.length === 0) return Promise.resolve(0);
      const w = start();
      if (!w) return Promise.resolve(null);
      return new Promise((resolve) => {
        const s = ++seq;
        stopIdleTimer();
        const timer = setTimeout(() => {
          pending.delete(s);
          resolve(null);
          armIdleTimer();
        }, timeoutMs);
        pending.set(s, { resolve, timer });
        const transfer: ArrayBuffer[] = [];
        const payload = nonEmpty.map((t) => {
          if (t.length < TRANSFER_TEXT_CHARS) return t;
          const bytes = Buffer.from(t, 'utf8');
          transfer.push(bytes.buffer as ArrayBuffer);
          return bytes;
        });
        w.postMessage({ seq: s, texts: payload }, transfer);
      });
    },
    async close() {
      stopIdleTimer();
      const w = worker;
      worker = null;
      settleAll();
      if (w) await w.terminate();
    },
  };
}

let shared: TokenEstimator | null = null;

/** The process's estimator: the recorder and the session reader share one worker. */
export function sharedTokenEstimator(): TokenEstimator {
  shared ??= createTokenEstimator();
  return shared;
}

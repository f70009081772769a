// What the store's main thread (write-executor.ts) and its writer thread
// (writer-thread.ts) say to each other, how long texts cross between them, and the
// arguments compressed on the writer rather than on the proxy's thread.

import { brotliCompressSync, constants as zlib } from 'node:zlib';
import type { MessagePort } from 'node:worker_threads';
import type { WriteOp, WriteResult } from './write-runner.js';

/** The writer thread's workerData. */
export interface WriterData {
  port: MessagePort;
  /** an Int32 the thread bumps (and notifies) after each reply, for drainSync() */
  signal: SharedArrayBuffer;
  /** better-sqlite3 as the main thread resolved it, so both load the same build */
  modulePath: string;
  file: string;
  nativeBinding: string | undefined;
  busyTimeoutMs: number;
  /** PRAGMA journal_size_limit for the writer's connection */
  journalSizeLimit: number;
}

export type WriterCommand = { type: 'batch'; ops: WriteOp[] } | { type: 'maintain'; sql: string[] } | { type: 'close' };

/** A command numbered for its reply. */
export type WriterRequest = WriterCommand & { seq: number };

export type WriterReply = { seq: number; result: WriteResult } | { seq: number; closed: true };

/** A long text argument on its way to the writer: its UTF-8 bytes, transferred. */
interface PackedText {
  utf8: Uint8Array;
}

/** Texts at least this long cross to the writer thread as transferred bytes. */
const TRANSFER_TEXT_CHARS = 64 * 1024;

/** An argument bound as its bytes brotli-compressed, compressed where the statement runs
 * (the writer thread, or the inline executor): a stream's event log. */
export interface BrotliArg {
  brotli: Uint8Array;
}

/**
 * Brotli quality for event logs. Measured on the bench's 200-chunk chat stream (65 KB
 * of SSE): quality 1 gave 3,984 B, 5 gave 3,569 B, at about 0.05-0.08 vs 0.22-0.30 ms
 * on an idle machine (0.14 vs 0.80 ms median on a loaded one; 2-4 land in between at
 * ~3,720 B). The cheaper one: 400 bytes a stream are not worth 4-5 times the writer's
 * time (with the answer kept only in the log, the stream's rows are 5.7 KB at quality 1).
 */
const BROTLI_QUALITY = 1;

export function isBrotliArg(a: unknown): a is BrotliArg {
  return a !== null && typeof a === 'object' && (a as Partial<BrotliArg>).brotli instanceof Uint8Array;
}

function compress(bytes: Uint8Array): Buffer {
  return brotliCompressSync(bytes, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

/**
 * Replaces each long text argument by its UTF-8 bytes, moved (not copied) to the
 * writer thread. Cloning a string into a message copies it on the posting thread: ten
 * 4 MiB request bodies in one batch held the proxy's event loop for hundreds of ms,
 * while encoding them is a fast native copy. The bytes of a BrotliArg are copied once
 * into a buffer of their own and moved too (they are a view of the recorder's log,
 * which must not be detached). Mutates `ops` (built for this batch only).
 */
export function packArgs(ops: WriteOp[]): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  for (const op of ops) {
    for (const st of op.stmts) {
      const args = st[1];
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string' && a.length >= TRANSFER_TEXT_CHARS) {
          // Buffer.from allocates a buffer of its own for a string this long (never the shared pool).
          const bytes = Buffer.from(a, 'utf8');
          const packed: PackedText = { utf8: bytes };
          args[i] = packed;
          transfer.push(bytes.buffer as ArrayBuffer);
        } else if (isBrotliArg(a)) {
          const own = new Uint8Array(new ArrayBuffer(a.brotli.byteLength));
          own.set(a.brotli);
          args[i] = { brotli: own } satisfies BrotliArg;
          transfer.push(own.buffer);
        }
      }
    }
  }
  return transfer;
}

/** Where the statements run: packed texts back to strings (bound as text again), and
 * BrotliArgs compressed (bound as blobs). Mutates `ops`. */
export function unpackArgs(ops: WriteOp[]): WriteOp[] {
  for (const op of ops) {
    for (const st of op.stmts) {
      const args = st[1];
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a !== null && typeof a === 'object' && (a as Partial<PackedText>).utf8 instanceof Uint8Array) {
          const { utf8 } = a as PackedText;
          args[i] = Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString('utf8');
        } else if (isBrotliArg(a)) {
          args[i] = compress(a.brotli);
        }
      }
    }
  }
  return ops;
}

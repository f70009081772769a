// The undici dispatcher Streamtap forwards with, and the mapping of its errors.
// undici's defaults cut a response off after 300 s without headers or body bytes;
// reasoning models think for minutes, so those are disabled here and Streamtap applies
// its own, configurable header and idle timeouts (see proxy/server.ts).

import { Agent, type Dispatcher } from 'undici';
import type { Timeouts } from '../../common/settings.js';
import { canDecode } from '../recorder/decoding.js';

export function createDispatcher(timeouts: Timeouts): Agent {
  return new Agent({
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: timeouts.connectMs,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // One request per socket at a time; an aborted request's socket is destroyed by
    // undici, never returned to the pool.
    pipelining: 1,
    connections: 256,
  });
}

/** The error code behind an undici / socket error (walks `cause`). */
export function errorCode(err: unknown): string | null {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED' && code !== 'ABORT_ERR') {
      // undici wraps socket errors: prefer the underlying errno (ECONNRESET) when there is one.
      const inner = (e as { cause?: { code?: unknown } }).cause?.code;
      return typeof inner === 'string' ? inner : code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

export function errorMessage(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const msg = (e as { message?: unknown }).message;
    if (typeof msg === 'string' && msg && !parts.includes(msg)) parts.push(msg);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ') || String(err);
}

/** Drops from Accept-Encoding what the recorder could not decode (only zstd on Node 20),
 * so the provider picks an encoding the client *and* the record can read. */
export function decodableAcceptEncoding(value: string | string[] | undefined): string | string[] | undefined {
  if (value === undefined || canDecode('zstd')) return value;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const kept = joined
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && canDecode(s.split(';')[0]!.trim().toLowerCase()));
  return kept.length ? kept.join(', ') : 'identity';
}

export interface ForwardRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  /** whole, streamed as it arrives, or none */
  body: Buffer | AsyncIterable<Buffer> | null;
}

/** What a forwarded exchange reports, in order: start, data*, then end or error. */
export interface ForwardSink {
  /** response headers arrived (1xx informational responses are skipped), with the provider's reason phrase */
  onStart(status: number, headers: Record<string, string | string[] | undefined>, statusText: string | undefined): void;
  /** a body chunk; return false to pause reading upstream until resume() */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** before onStart: no response (refused, DNS, TLS, aborted); after: the body broke */
  onError(err: Error): void;
}

export interface Forwarding {
  /** cancels the upstream request; undici destroys its socket (never reused) */
  abort(reason: Error): void;
  resume(): void;
}

/**
 * Forwards one request with undici's dispatch API: the body's chunks arrive as
 * callbacks, with no Readable stream and no AbortSignal in between, which keeps the
 * per-request and per-chunk cost of the hot path down.
 */
export function forward(dispatcher: Dispatcher, req: ForwardRequest, sink: ForwardSink): Forwarding {
  let controller: Dispatcher.DispatchController | null = null;
  let pendingAbort: Error | null = null;
  let done = false;
  // undici calls onResponseData once per HTTP chunk, and one socket read often holds
  // dozens (an upstream writing back to back: 200 small SSE chunks arrive in a few
  // reads). They are gathered until the read has been parsed (process.nextTick runs
  // before any other I/O callback) and handed on as one buffer: one client write and
  // one pass of the recorder per read instead of per chunk.
  let pending: Buffer[] = [];
  let flushQueued = false;
  const flush = (): void => {
    flushQueued = false;
    if (pending.length === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    if (done) return;
    if (!sink.onData(chunk)) controller?.pause();
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (pendingAbort) c.abort(pendingAbort);
    },
    onResponseStart(c, status, headers, statusText) {
      controller = c;
      if (status < 200) return;
      sink.onStart(status, headers as Record<string, string | string[] | undefined>, statusText);
    },
    onResponseData(c, chunk) {
      controller = c;
      pending.push(chunk);
      if (!flushQueued) {
        flushQueued = true;
        process.nextTick(flush);
      }
    },
    onResponseEnd() {
      if (done) return;
      flush(); // the body's last bytes go out before its end
      done = true;
      sink.onEnd();
    },
    onResponseError(_c, err) {
      if (done) return;
      flush(); // what arrived before the break is the client's, and the record's
      done = true;
      sink.onError(err);
    },
  };
  dispatcher.dispatch(
    {
      origin: req.origin,
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      // undici takes an async iterable body (documented; its types list only Readable).
      body: req.body as Exclude<Dispatcher.DispatchOptions['body'], undefined>,
    },
    handler,
  );
  return {
    abort(reason) {
      if (done) return;
      pending = [];
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    },
    resume() {
      controller?.resume();
    },
  };
}

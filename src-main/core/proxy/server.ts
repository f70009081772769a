// The recording proxy: an HTTP server on loopback that every coding tool talks to.
// It exposes the provider APIs (routed per DESIGN.md) to local tools only, and hands
// `/__streamtap/…` to the dashboard server when one is attached (headless mode).
//
// The hot path: each upstream chunk is written to the client first; only then is it
// given to the recording (decode, parse, assemble). Store writes are queued and
// batched by the store, never awaited here.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { CoreConfig } from '../config.js';
import { admitRequest, isLoopbackHost, MAX_HEADER_BYTES, MAX_HEADER_COUNT, type Admission } from './security.js';
import { resolveRoute, upstreamTarget, type RouteHints, type RouteResult } from './routing.js';
import {
  credentialFingerprint,
  forwardRequestHeaders,
  forwardResponseHeaders,
  headerValue,
  redactHeaders,
  redactUrl,
} from './headers.js';
import { clientFromHeaders, clientLabel, sessionIdFromHeaders } from './client-info.js';
import { createDispatcher, decodableAcceptEncoding, errorCode, errorMessage, forward, type ForwardRequest, type Forwarding } from './forwarder.js';
import { Recording, type ChangeSink, type LiveDetail, type RecordChange, type RecordSink } from '../recorder/recording.js';
import type { Ending } from '../recorder/classify.js';
import { API_ROUTES, DASHBOARD_PREFIX } from '../../common/routes.js';
import { sharedTokenEstimator, type TokenEstimator } from '../recorder/token-estimator.js';
import { heapCollector } from '../idle-memory.js';


export type DashboardRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ProxyOptions {
  config: CoreConfig;
  sink: RecordSink;
  onChange: (change: RecordChange) => void;
  /** whether anyone listens to changes (summaries are not built otherwise) */
  hasListeners?: () => boolean;
  /** serves `/__streamtap/…` (the headless dashboard); 404 when absent */
  dashboard?: DashboardRequestHandler;
  /** whether recording is paused (requests are still forwarded) */
  isPaused?: () => boolean;
  /** counts the output tokens of answers without usage (default: the process's worker) */
  estimator?: TokenEstimator;
}

/** UUIDv7-like: time-ordered, so ids sort with startedAt. */
export function newId(now: number): string {
  // randomUUID draws from a cached entropy pool: far cheaper per call than randomBytes.
  const hex = now.toString(16).padStart(12, '0') + randomUUID().replace(/-/g, '').slice(12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function providerShapedError(route: RouteResult | null, type: string, message: string, code: string | null): string {
  const anthropic = route?.ok ? route.route.upstream === 'anthropic' || route.route.api === 'messages' : route?.upstream === 'anthropic';
  if (anthropic) return JSON.stringify({ type: 'error', error: { type, message } });
  return JSON.stringify({ error: { message, type, code, param: null } });
}

function sendJson(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-streamtap-error': '1',
    ...extra,
  });
  res.end(body);
}

export class ProxyServer {
  /** the server listening now (rebind() replaces it) */
  private current: http.Server;
  /** servers left behind by rebind(): they accept nothing new and close once the
   * proxied requests they carry have finished */
  private readonly retiring = new Map<http.Server, Promise<void>>();
  /** requests in flight per server, the dashboard's calls included (the one that moved
   * the port is answered on the old one); not its event streams, which never finish */
  private readonly inFlightOn = new Map<http.Server, number>();
  private dispatcher: Dispatcher & { close(): Promise<void>; destroy(): Promise<void> };
  private readonly live = new Set<Recording>();
  /** records whose response has ended but which are still being settled (an output
   * estimate on its way from the tokenizer's worker): shutdown waits for them */
  private readonly settling = new Set<Promise<void>>();
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  private closing: Promise<void> | null = null;
  /** proxied requests whose response has not closed yet (recorded or not) */
  private inFlight = 0;
  private onIdle: (() => void) | null = null;
  /** gives the heap, and the C allocator's free pages, back once nothing has been in
   * flight for a while (idle-memory.ts) */
  private readonly memory = heapCollector({ releaseNative: true });
  private readonly changes: ChangeSink;

  constructor(private readonly opts: ProxyOptions) {
    this.dispatcher = createDispatcher(opts.config.timeouts);
    this.changes = { wanted: () => opts.hasListeners?.() ?? true, emit: opts.onChange };
    this.current = this.createServer();
  }

  private createServer(): http.Server {
    const server = http.createServer({ requestTimeout: 0, keepAlive: true, maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      if ((req.url ?? '').split('?', 1)[0] !== API_ROUTES.events) this.holdOpen(server, res);
      this.handle(req, res).catch((err: unknown) => {
        // Never let a bug in recording take the proxy down; the client gets an error.
        if (!res.headersSent) sendJson(res, 500, JSON.stringify({ error: { message: `Streamtap internal error: ${errorMessage(err)}`, type: 'streamtap_error' } }));
        else res.destroy();
      });
    });
    // Agents pause between turns and then reuse their pooled connection. With Node's
    // default 5 s keep-alive the server may close a socket just as a client reuses it
    // ("other side closed"); a longer server timeout lets the clients' own pools (4 to
    // 60 s) retire sockets first.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    // One more than the limit, so admitRequest() can tell too many headers from just enough
    // (past it Node drops the rest without a word).
    server.maxHeadersCount = MAX_HEADER_COUNT + 1;
    server.on('upgrade', (req, socket) => this.refuseUpgrade(req, socket));
    server.on('clientError', (err: Error & { code?: string }, socket) => {
      // Headers over MAX_HEADER_BYTES: 431 says which limit was crossed; anything else
      // Node's parser refused is a plain 400. The process stays up either way.
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    });
    return server;
  }

  /** A new connect timeout takes a new connection pool; the old one finishes its
   * requests and closes. (Everything else in the config is read per request.) */
  setConnectTimeout(ms: number): void {
    const old = this.dispatcher;
    this.dispatcher = createDispatcher({ ...this.opts.config.timeouts, connectMs: ms });
    void old.close().catch(() => undefined);
  }

  liveCount(): number {
    return this.live.size;
  }

  /** A request still in flight: what it shows beyond its stored row; else null. */
  liveDetail(id: string): LiveDetail | null {
    for (const rec of this.live) if (rec.record.id === id) return rec.liveDetail();
    return null;
  }

  /** Listens; rejects with EADDRINUSE and friends as they are. */
  async listen(): Promise<number> {
    const port = await this.bind(this.current, this.opts.config.port);
    this.ticker ??= setInterval(() => this.checkpointAll(), this.opts.config.checkpointMs);
    this.ticker.unref();
    return port;
  }

  private bind(server: http.Server, port: number): Promise<number> {
    const { host } = this.opts.config;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /**
   * Moves to another port without losing a request: a new server listens on `port`
   * (rejecting as listen() does, with the old one untouched), then the old one stops
   * accepting, lets the requests it carries finish (proxied ones with the settings they
   * started with, and the call that asked for the move is answered there), and closes,
   * its idle connections and dashboard event streams with it.
   */
  async rebind(port: number): Promise<number> {
    if (this.stopping) throw new Error('the proxy is stopping');
    const next = this.createServer();
    let bound: number;
    try {
      bound = await this.bind(next, port);
    } catch (err) {
      next.close();
      throw err;
    }
    const old = this.current;
    this.current = next;
    this.retire(old);
    return bound;
  }

  private retire(server: http.Server): void {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.retiring.set(server, closed);
    void closed.then(() => {
      this.retiring.delete(server);
      this.inFlightOn.delete(server);
    });
    server.closeIdleConnections();
    if ((this.inFlightOn.get(server) ?? 0) === 0) server.closeAllConnections();
  }

  /** Resolves once every server left behind by rebind() has closed. */
  private async retired(): Promise<void> {
    await Promise.all([...this.retiring.values()]);
  }

  private checkpointAll(): void {
    for (const rec of this.live) rec.checkpoint();
  }

  /**
   * Stops accepting (the port is free at once), lets requests in flight finish for up
   * to `drainMs` (or until `signal` aborts), then settles the rest as `interrupted`
   * (reason: shutdown) and closes every socket. Calling it again joins the first call.
   */
  close(opts: { drainMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.closing ??= this.shutdown(opts.drainMs ?? 0, opts.signal);
    return this.closing;
  }

  private async shutdown(drainMs: number, signal: AbortSignal | undefined): Promise<void> {
    this.stopping = true;
    this.memory.stop();
    if (this.ticker) clearInterval(this.ticker);
    const closed = new Promise<void>((resolve) => this.current.close(() => resolve()));
    this.current.closeIdleConnections();
    const started = performance.now();
    if (drainMs > 0 && this.inFlight > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.onIdle = null;
          resolve();
        };
        const timer = setTimeout(done, drainMs);
        signal?.addEventListener('abort', done, { once: true });
        this.onIdle = done;
      });
    }
    const waited = Math.round((performance.now() - started) / 100) / 10;
    const message = `Streamtap was shut down while this request was in flight${waited > 0 ? ` (after waiting ${waited} s for it to finish)` : ''}`;
    await Promise.all([...this.live].map((rec) => rec.finish({ kind: 'shutdown' }, 'shutdown', message)));
    this.live.clear();
    await Promise.all([...this.settling]);
    this.current.closeAllConnections();
    for (const old of this.retiring.keys()) old.closeAllConnections();
    await Promise.all([closed, this.retired()]);
    await this.dispatcher.destroy().catch(() => undefined);
  }

  private requestClosed(): void {
    this.inFlight--;
    if (this.inFlight === 0) {
      this.onIdle?.();
      if (!this.stopping) this.memory.idle();
    }
  }

  /** Counts a request against its server until its response closes: a server left
   * behind by rebind() closes with its last one (its idle sockets and event streams
   * with it). */
  private holdOpen(server: http.Server, res: ServerResponse): void {
    this.inFlightOn.set(server, (this.inFlightOn.get(server) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.inFlightOn.get(server) ?? 1) - 1;
      this.inFlightOn.set(server, left);
      if (left === 0 && this.retiring.has(server)) server.closeAllConnections();
    });
  }

  private begin(req: IncomingMessage, route: RouteResult, t0: number, startedAt: number): Recording {
    const headers = req.headers;
    const client = clientFromHeaders(headers);
    const retry = Number(headerValue(headers, 'x-stainless-retry-count'));
    let upstreamUrl = '';
    if (route.ok) {
      const target = upstreamTarget(route.route.baseUrl, route.route.forwardPath);
      upstreamUrl = redactUrl(target.origin + target.path);
    }
    const rec = new Recording(
      this.opts.sink,
      this.opts.config.limits,
      this.changes,
      {
        id: newId(startedAt),
        startedAt,
        t0,
        client: clientLabel(client),
        clientVersion: client.version,
        userAgent: headerValue(headers, 'user-agent')?.slice(0, 500) ?? null,
        sessionId: sessionIdFromHeaders(headers),
        credentialFingerprint: credentialFingerprint(headers),
        upstream: route.ok ? route.route.upstream : route.upstream,
        upstreamUrl,
        api: route.ok ? route.route.api : 'other',
        method: req.method ?? 'GET',
        path: redactUrl(req.url ?? '/'),
        retryCount: Number.isFinite(retry) && headerValue(headers, 'x-stainless-retry-count') !== undefined ? retry : null,
        requestHeaders: redactHeaders(headers),
      },
      this.opts.estimator ?? sharedTokenEstimator(),
    );
    rec.start();
    this.live.add(rec);
    return rec;
  }

  private async settle(rec: Recording | null, ending: Ending, code: string | null = null, message: string | null = null): Promise<void> {
    if (!rec) return;
    this.live.delete(rec);
    const settled = rec.finish(ending, code, message);
    this.settling.add(settled);
    try {
      await settled;
    } finally {
      this.settling.delete(settled);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const forDashboard = url === DASHBOARD_PREFIX || url.startsWith(DASHBOARD_PREFIX + '/') || url.startsWith(DASHBOARD_PREFIX + '?');
    // The dashboard is a same-origin web page, so its own fetches carry Origin: for its
    // paths only the Host check is done here, and the dashboard enforces same-origin.
    const door = forDashboard && this.opts.dashboard ? admitDashboardRequest(req) : admitRequest(req);
    if (!door.ok) {
      sendJson(res, door.status, JSON.stringify({ error: { message: `Streamtap refused this request: ${door.reason}`, type: 'streamtap_forbidden' } }));
      return;
    }
    if (forDashboard) {
      if (this.opts.dashboard) this.opts.dashboard(req, res);
      else sendJson(res, 404, JSON.stringify({ error: { message: 'the dashboard is not served by this Streamtap (it runs in the desktop window)', type: 'not_found' } }));
      return;
    }
    const route = resolveRoute(url, this.opts.config.upstreams, routeHints(req));
    if (this.stopping) {
      // Shutting down: a request on a kept-alive connection is turned away, not started.
      req.resume();
      sendJson(res, 503, providerShapedError(route, 'api_connection_error', 'Streamtap is shutting down; send the request again once it is back', 'streamtap_shutting_down'), CLOSE);
      return;
    }
    this.inFlight++;
    this.memory.busy();
    res.once('close', () => this.requestClosed());
    // Paused, a request takes the same path, limits and timeouts included, without a record.
    const rec = this.opts.isPaused?.() ? null : this.begin(req, route, t0, startedAt);
    await this.exchange(req, res, route, rec);
  }

  /** Forwards one request and streams the answer back, recording it in `rec` (none while
   * recording is paused). Streamtap answers itself when there is no route, the body is
   * refused, or the upstream cannot be reached or sends no headers in time. */
  private async exchange(req: IncomingMessage, res: ServerResponse, route: RouteResult, rec: Recording | null): Promise<void> {
    if (!route.ok) {
      req.resume();
      const message = `Streamtap: ${route.reason}`;
      sendJson(res, 404, providerShapedError(route, 'not_found_error', message, 'streamtap_no_upstream'));
      rec?.respondedLocally(404);
      await this.settle(rec, { kind: 'no_route', message }, null, message);
      return;
    }

    const { maxRequestBytes } = this.opts.config;
    const { headersMs, idleMs } = this.opts.config.timeouts;
    const plan = bodyPlan(req, maxRequestBytes);
    if (plan.kind === 'too_large') {
      // Refused on its Content-Length, before a byte of it is read or forwarded.
      const message = tooLargeMessage(plan.declared, maxRequestBytes);
      sendJson(res, 413, providerShapedError(route, 'request_too_large', message, 'streamtap_request_too_large'), CLOSE);
      rec?.respondedLocally(413);
      await this.settle(rec, { kind: 'refused', message }, null, message);
      return;
    }

    let settled = false;
    let forwarding: Forwarding | null = null;
    let bodyDone = plan.kind === 'none';
    /** whether any of the request went upstream (a streamed body starts before it ends) */
    let upstreamSent = false;
    let bodyFailure: 'too_large' | 'timeout' | null = null;
    const capture = plan.kind === 'none' || !rec ? null : rec.captureRequestBody(headerValue(req.headers, 'content-encoding'));
    let bodyTimer: NodeJS.Timeout | null = null;
    let headerTimer: NodeJS.Timeout | null = null;
    let idleTimer: NodeJS.Timeout | null = null;
    const clearTimers = () => {
      if (bodyTimer) clearTimeout(bodyTimer);
      if (headerTimer) clearTimeout(headerTimer);
      if (idleTimer) clearTimeout(idleTimer);
    };
    /** a small body's chunks, read whole before it is forwarded */
    const pending: Buffer[] = [];
    const settleOnce = (ending: Ending, code: string | null = null, message: string | null = null) => {
      if (settled) return;
      settled = true;
      clearTimers();
      // A body cut short is recorded as far as it came.
      if (!bodyDone && capture) {
        for (const part of pending.splice(0)) capture.push(part);
        rec?.setRequestBody(capture.abandon(), capture.rawBytes);
      }
      void this.settle(rec, ending, code, message);
    };
    const cancelled = () => (upstreamSent ? UPSTREAM_CANCELLED : NOTHING_SENT);
    // The client's own close is the only proof of a client abort. Cancel upstream at
    // once so the user stops paying for tokens nobody will read.
    res.once('close', () => {
      if (!res.writableFinished) {
        // Settle first: undici may report the abort synchronously, as an upstream error.
        settleOnce(bodyDone ? { kind: 'client_closed' } : { kind: 'client_closed', inRequestBody: true }, clientCloseCode(res), bodyDone ? null : cancelled());
        forwarding?.abort(new Error('client closed the connection'));
      }
    });
    /** Answers the client itself when the body is refused (408, 413) and no response started. */
    const refuseBody = (status: 408 | 413, message: string) => {
      if (settled) return;
      forwarding?.abort(new Error(message));
      sendJson(res, status, providerShapedError(route, status === 408 ? 'timeout_error' : 'request_too_large', message, status === 408 ? 'streamtap_request_body_timeout' : 'streamtap_request_too_large'), CLOSE);
      rec?.respondedLocally(status);
      if (status === 408) settleOnce({ kind: 'request_body_timeout', afterMs: idleMs }, null, cancelled());
      else settleOnce({ kind: 'refused', message, inRequestBody: true }, null, message);
      // Whatever else the client sends is read and dropped until the socket closes.
      req.resume();
    };
    // The idle timeout covers the request body too: a client that stops sending it is
    // not waited for forever.
    if (!bodyDone) {
      bodyTimer = setTimeout(() => {
        bodyFailure = 'timeout';
        refuseBody(408, `Streamtap: the client sent no request body bytes for ${Math.round(idleMs / 1000)} s (idle timeout)`);
      }, idleMs);
    }
    const onBodyChunk = (chunk: Buffer, total: number): boolean => {
      bodyTimer?.refresh();
      if (total > maxRequestBytes) {
        bodyFailure = 'too_large';
        refuseBody(413, tooLargeMessage(total, maxRequestBytes, true));
        return false;
      }
      capture?.push(chunk);
      return true;
    };

    const { route: r } = route;
    const target = upstreamTarget(r.baseUrl, r.forwardPath);
    const headers = forwardRequestHeaders(req.headers);
    const ae = decodableAcceptEncoding(headers['accept-encoding']);
    if (ae !== undefined) headers['accept-encoding'] = ae;

    let started = false;
    let timedOut: 'headers' | 'idle' | null = null;
    const timeout = (which: 'headers' | 'idle') => () => {
      timedOut = which;
      forwarding?.abort(new Error(`${which} timeout`));
    };
    // The header timeout runs from the moment the whole request is upstream until the
    // response starts; then the idle timeout, which every chunk re-arms.
    const bodySent = () => {
      bodyDone = true;
      if (bodyTimer) clearTimeout(bodyTimer);
      if (!started && !settled) headerTimer = setTimeout(timeout('headers'), headersMs);
      if (capture) void capture.end().then((c) => rec?.setRequestBody(c, capture.rawBytes));
    };

    /** the client's side of a streamed body failed (it went away mid-upload) */
    let clientBodyFailed = false;
    let body: ForwardRequest['body'];
    if (plan.kind === 'stream') {
      // Large or of unknown length: forwarded as it arrives, never held whole.
      body = streamBody(req, onBodyChunk, bodySent, () => (clientBodyFailed = true));
      upstreamSent = true;
    } else if (plan.kind === 'buffer') {
      const whole = await readBody(req, pending, (_chunk, total) => {
        bodyTimer?.refresh();
        return total <= maxRequestBytes;
      }).catch(() => null);
      pending.length = 0;
      if (whole === null || settled) {
        settleOnce({ kind: 'client_closed', inRequestBody: true }, clientCloseCode(res), NOTHING_SENT);
        return;
      }
      body = whole;
      // Read for the record only once the request is on its way upstream (below).
      bodyDone = true;
      if (bodyTimer) clearTimeout(bodyTimer);
    } else {
      req.resume();
      body = upstreamBodyless(req);
    }

    forwarding = forward(
      this.dispatcher,
      { origin: target.origin, path: target.path, method: req.method ?? 'GET', headers, body },
      {
        onStart: (status, upHeaders, statusText) => {
          started = true;
          if (headerTimer) clearTimeout(headerTimer);
          if (settled) return;
          idleTimer = setTimeout(timeout('idle'), idleMs);
          // The provider's own reason phrase (529 "Site Overloaded" has none in Node's table).
          if (statusText) res.statusMessage = statusText;
          res.writeHead(status, forwardResponseHeaders(upHeaders));
          const contentType = String(upHeaders['content-type'] ?? '');
          // A stream's headers go out now, not with its first chunk: clients time their
          // own header timeouts and show "connected" from this moment. A whole body goes
          // out with its headers in one write.
          if (contentType.includes('text/event-stream')) res.flushHeaders();
          rec?.responseStarted(status, redactHeaders(upHeaders), contentType, String(upHeaders['content-encoding'] ?? ''));
        },
        onData: (chunk) => {
          if (settled) return true;
          // Pass-through first: the client has the bytes before they are parsed or stored.
          const ok = res.write(chunk);
          rec?.chunkForwarded(chunk);
          idleTimer?.refresh();
          if (!ok) {
            // Backpressure: stop reading upstream until the client drains.
            res.once('drain', () => forwarding?.resume());
          }
          return ok;
        },
        onEnd: () => {
          clearTimers();
          if (settled) return;
          res.end();
          settleOnce({ kind: 'upstream_end' });
        },
        onError: (err) => {
          clearTimers();
          if (settled) return; // the client left first, or the body was refused
          if (!started) {
            if (bodyFailure !== null) return;
            if (clientBodyFailed) {
              settleOnce({ kind: 'client_closed', inRequestBody: true }, clientCloseCode(res), cancelled());
              res.destroy();
              return;
            }
            // The upstream failed while the client may still be uploading: the error
            // answer below ends the exchange, and the rest of the body is dropped.
            if (!bodyDone) {
              res.setHeader('connection', 'close');
              req.resume();
            }
            const answer = failedBeforeResponse(err, timedOut === 'headers', route, target, headersMs);
            sendJson(res, answer.status, answer.body);
            if (answer.recordStatus) rec?.respondedLocally(answer.status);
            settleOnce(answer.ending, answer.code, answer.message);
            return;
          }
          // Transparency: a broken upstream stream breaks the client's connection too,
          // never a clean end that would make a cut-off answer look complete.
          res.destroy();
          if (timedOut === 'idle') {
            settleOnce({ kind: 'idle_timeout', afterMs: idleMs }, null, `no data for ${Math.round(idleMs / 1000)} s`);
          } else {
            const code = errorCode(err);
            settleOnce({ kind: 'upstream_failed', code, message: errorMessage(err) }, code ?? 'UND_ERR_SOCKET', errorMessage(err));
          }
        },
      },
    );
    if (plan.kind !== 'stream') {
      headerTimer = setTimeout(timeout('headers'), headersMs);
      if (plan.kind === 'buffer' && capture) {
        const whole = body as Buffer;
        // Reading the body for the record waits until the request is on its way upstream.
        setImmediate(() => {
          capture.push(whole);
          void capture.end().then((c) => rec?.setRequestBody(c, whole.length));
        });
      }
    }
  }

  /** Codex may try a WebSocket on GET /v1/responses first. Refuse at once (never hang)
   * so it falls back to HTTP, which Streamtap records. */
  private refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
    const door = admitRequest(req);
    const body = JSON.stringify({
      error: {
        message: door.ok ? 'Streamtap records HTTP streaming; WebSocket upgrades are not supported, use HTTP' : `Streamtap refused this request: ${door.reason}`,
        type: 'streamtap_websocket_unsupported',
      },
    });
    const status = door.ok ? '501 Not Implemented' : '403 Forbidden';
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    if (!door.ok || this.opts.isPaused?.()) return;
    const route = resolveRoute(req.url ?? '/', this.opts.config.upstreams, routeHints(req));
    const rec = this.begin(req, route, performance.now(), Date.now());
    rec.respondedLocally(501);
    void this.settle(rec, { kind: 'refused', message: 'WebSocket upgrade refused' }, null, 'WebSocket upgrade refused so the client falls back to HTTP');
  }
}

function routeHints(req: IncomingMessage): RouteHints {
  return { anthropicVersion: req.headers['anthropic-version'] !== undefined };
}

function admitDashboardRequest(req: IncomingMessage): Admission {
  return isLoopbackHost(req.headers.host) ? { ok: true } : admitRequest(req);
}

/** A body-less GET/HEAD sends no body; other methods keep theirs, even an empty one
 * (its content-length: 0 is forwarded). */
function upstreamBodyless(req: IncomingMessage): Buffer | null {
  return ['GET', 'HEAD'].includes(req.method ?? 'GET') ? null : Buffer.alloc(0);
}

/** Bodies up to this size (by Content-Length) are read whole and sent upstream in one
 * write, as agents' prompts are; larger ones, and bodies of unknown length, stream. */
const BUFFER_BELOW_BYTES = 1024 * 1024;

/** Responses that refuse a body close the connection: the rest of it is not wanted. */
const CLOSE = { connection: 'close' };

/** How the record says what became of the upstream request when the body never finished. */
const UPSTREAM_CANCELLED = 'Streamtap cancelled the upstream request';
const NOTHING_SENT = 'nothing had been sent to the provider';

type BodyPlan = { kind: 'none' } | { kind: 'buffer' } | { kind: 'stream' } | { kind: 'too_large'; declared: number };

function bodyPlan(req: IncomingMessage, maxBytes: number): BodyPlan {
  const length = req.headers['content-length'];
  // Node's parser has already refused a malformed Content-Length and one sent with
  // Transfer-Encoding.
  if (length !== undefined) {
    const declared = Number(length);
    if (declared > maxBytes) return { kind: 'too_large', declared };
    if (declared === 0) return { kind: 'none' };
    return declared <= BUFFER_BELOW_BYTES ? { kind: 'buffer' } : { kind: 'stream' };
  }
  return req.headers['transfer-encoding'] !== undefined ? { kind: 'stream' } : { kind: 'none' };
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

function tooLargeMessage(bytes: number, maxBytes: number, sent = false): string {
  return `Streamtap: the request body (${sent ? 'more than ' : ''}${megabytes(bytes)}) is over the ${megabytes(maxBytes)} limit (--max-request-size)${sent ? '; the upstream request was cancelled' : '; nothing was sent to the provider'}`;
}

/** What Streamtap answers when the upstream failed before its response started, and
 * how the record ends. */
interface LocalFailure {
  status: 502 | 504;
  body: string;
  /** whether the record keeps `status` as its HTTP status: not when the provider took
   * the request and closed without a word (its record shows no status at all) */
  recordStatus: boolean;
  ending: Ending;
  code: string | null;
  message: string;
}

function failedBeforeResponse(
  err: unknown,
  headerTimeout: boolean,
  route: Extract<RouteResult, { ok: true }>,
  target: { origin: string; path: string },
  headersMs: number,
): LocalFailure {
  if (headerTimeout) {
    const message = `Streamtap: ${target.origin} sent no response headers within ${Math.round(headersMs / 1000)} s (header timeout)`;
    const body = providerShapedError(route, 'timeout_error', message, 'streamtap_header_timeout');
    return { status: 504, body, recordStatus: true, ending: { kind: 'header_timeout', afterMs: headersMs }, code: null, message };
  }
  const upstream = route.route.upstream;
  const code = errorCode(err);
  const why = errorMessage(err);
  const where = `upstream "${upstream}" at ${redactUrl(target.origin + target.path)}`;
  if (closedAfterConnect(code, why)) {
    // The provider took the request, then closed without a word: a disconnect, not an
    // unreachable host.
    const message = `Streamtap: ${where} closed the connection before answering: ${code ? `${code} ` : ''}${why}`;
    const body = providerShapedError(route, 'api_connection_error', message, code ?? 'upstream_disconnected');
    return { status: 502, body, recordStatus: false, ending: { kind: 'upstream_failed', code, message: why }, code, message };
  }
  const message = `Streamtap could not reach ${where}: ${code ? `${code} ` : ''}${why}`;
  const body = providerShapedError(route, 'api_connection_error', message, code ?? 'upstream_unreachable');
  return { status: 502, body, recordStatus: true, ending: { kind: 'unreachable', code, message: why }, code, message };
}

/** Codes of a connection the provider accepted and then closed without an answer (as
 * opposed to one that never came up: refused, DNS, TLS, connect timeout). */
function closedAfterConnect(code: string | null, message: string): boolean {
  if (/TLS|certificate|SSL/i.test(message)) return false;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED';
}

/**
 * The client's body as undici's request body: each chunk is checked against the limit
 * and handed to the record by `onChunk`, then goes upstream (undici pulls, so a slow
 * provider slows the client's upload: backpressure). `onChunk` returning false ends
 * the body with an error, which cancels the upstream request.
 */
async function* streamBody(
  req: IncomingMessage,
  onChunk: (chunk: Buffer, total: number) => boolean,
  onEnd: () => void,
  onClientError: () => void = () => undefined,
): AsyncGenerator<Buffer> {
  let total = 0;
  const chunks = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (err) {
      // The client's upload broke (it closed, reset): not the provider's fault.
      onClientError();
      throw err;
    }
    if (next.done) break;
    const chunk = next.value;
    total += chunk.length;
    if (!onChunk(chunk, total)) throw new Error('request body refused');
    yield chunk;
  }
  onEnd();
}

/** A small body, whole (see BUFFER_BELOW_BYTES), its chunks gathered in `parts`.
 * `onChunk` returning false rejects. */
function readBody(req: IncomingMessage, parts: Buffer[], onChunk: (chunk: Buffer, total: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (!onChunk(c, total)) {
        reject(new Error('request body refused'));
        return;
      }
      parts.push(c);
    });
    req.once('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('client closed during upload'));
    });
  });
}

function clientCloseCode(res: ServerResponse): string | null {
  const err = (res.socket as unknown as { errored?: { code?: string } } | null)?.errored;
  return err?.code ?? null;
}

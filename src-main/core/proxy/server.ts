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
import type { RawEvent } from '../../common/record.js';
import type { CoreConfig } from '../config.js';
import { checkDoor, isLoopbackHost, type DoorVerdict } from './security.js';
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
import { Recording, type ChangeSink, type RecordChange, type RecordSink } from '../recorder/recording.js';
import type { Ending } from '../recorder/classify.js';

export const DASHBOARD_PREFIX = '/__streamtap';

export type SideHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ProxyOptions {
  config: CoreConfig;
  sink: RecordSink;
  onChange: (change: RecordChange) => void;
  /** whether anyone listens to changes (summaries are not built otherwise) */
  hasListeners?: () => boolean;
  /** serves `/__streamtap/…` (the headless dashboard); 404 when absent */
  dashboard?: SideHandler;
  /** whether recording is paused (requests are still forwarded) */
  isPaused?: () => boolean;
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

function sendJson(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-streamtap-error': '1',
  });
  res.end(body);
}

export class ProxyServer {
  readonly server: http.Server;
  private dispatcher: Dispatcher & { close(): Promise<void>; destroy(): Promise<void> };
  private readonly live = new Set<Recording>();
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly changes: ChangeSink;

  constructor(private readonly opts: ProxyOptions) {
    this.dispatcher = createDispatcher(opts.config.timeouts);
    this.changes = { wanted: () => opts.hasListeners?.() ?? true, emit: opts.onChange };
    this.server = http.createServer({ requestTimeout: 0, keepAlive: true }, (req, res) => {
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
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.on('upgrade', (req, socket) => this.refuseUpgrade(req, socket));
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
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

  /** A request still in flight: its events so far, times and names only; else null. */
  liveEvents(id: string): RawEvent[] | null {
    for (const rec of this.live) if (rec.record.id === id) return rec.liveEvents();
    return null;
  }

  /** Listens; rejects with EADDRINUSE and friends as they are. */
  listen(): Promise<number> {
    const { host, port } = this.opts.config;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
      this.ticker = setInterval(() => this.checkpointAll(), this.opts.config.checkpointMs);
      this.ticker.unref();
    });
  }

  private checkpointAll(): void {
    for (const rec of this.live) rec.checkpoint();
  }

  /** Stops accepting, settles in-flight records as `interrupted`, closes sockets. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.live].map((rec) => rec.finish({ kind: 'shutdown' })));
    this.live.clear();
    this.server.closeAllConnections();
    await closed;
    await this.dispatcher.destroy().catch(() => undefined);
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
    const rec = new Recording(this.opts.sink, this.opts.config.limits, this.changes, {
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
    });
    rec.start();
    this.live.add(rec);
    return rec;
  }

  private async settle(rec: Recording, ending: Ending, code: string | null = null, message: string | null = null): Promise<void> {
    this.live.delete(rec);
    await rec.finish(ending, code, message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const forDashboard = url === DASHBOARD_PREFIX || url.startsWith(DASHBOARD_PREFIX + '/') || url.startsWith(DASHBOARD_PREFIX + '?');
    // The dashboard is a same-origin web page, so its own fetches carry Origin: for its
    // paths only the Host check is done here, and the dashboard enforces same-origin.
    const door = forDashboard && this.opts.dashboard ? checkHostOnly(req) : checkDoor(req);
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
    if (this.opts.isPaused?.()) {
      await this.passThroughUnrecorded(req, res, route);
      return;
    }
    const rec = this.begin(req, route, t0, startedAt);

    if (!route.ok) {
      req.resume();
      const message = `Streamtap: ${route.reason}`;
      sendJson(res, 404, providerShapedError(route, 'not_found_error', message, 'streamtap_no_upstream'));
      rec.record.httpStatus = 404;
      await this.settle(rec, { kind: 'no_route', message }, null, message);
      return;
    }

    let settled = false;
    let forwarding: Forwarding | null = null;
    const settleOnce = (ending: Ending, code: string | null = null, message: string | null = null) => {
      if (settled) return;
      settled = true;
      void this.settle(rec, ending, code, message);
    };
    // The client's own close is the only proof of a client abort. Cancel upstream at
    // once so the user stops paying for tokens nobody will read.
    res.once('close', () => {
      if (!res.writableFinished) {
        // Settle first: undici may report the abort synchronously, as an upstream error.
        settleOnce({ kind: 'client_closed' }, clientCloseCode(res));
        forwarding?.abort(new Error('client closed the connection'));
      }
    });

    const body = await readBody(req).catch(() => null);
    if (body === null || settled) {
      settleOnce({ kind: 'client_closed' });
      return;
    }
    const { route: r } = route;
    const target = upstreamTarget(r.baseUrl, r.forwardPath);
    const headers = forwardRequestHeaders(req.headers);
    const ae = decodableAcceptEncoding(headers['accept-encoding']);
    if (ae !== undefined) headers['accept-encoding'] = ae;
    const { headersMs, idleMs } = this.opts.config.timeouts;

    let started = false;
    let timedOut: 'headers' | 'idle' | null = null;
    const timeout = (which: 'headers' | 'idle') => () => {
      timedOut = which;
      forwarding?.abort(new Error(`${which} timeout`));
    };
    // The header timeout runs until the response starts; then the idle timeout, which
    // every chunk re-arms.
    const headerTimer = setTimeout(timeout('headers'), headersMs);
    let idleTimer: NodeJS.Timeout | null = null;
    const clearTimers = () => {
      clearTimeout(headerTimer);
      if (idleTimer) clearTimeout(idleTimer);
    };

    forwarding = forward(
      this.dispatcher,
      upstreamRequest(req, target, headers, body),
      {
        onStart: (status, upHeaders) => {
          started = true;
          clearTimeout(headerTimer);
          if (settled) return;
          idleTimer = setTimeout(timeout('idle'), idleMs);
          res.writeHead(status, forwardResponseHeaders(upHeaders));
          const contentType = String(upHeaders['content-type'] ?? '');
          // A stream's headers go out now, not with its first chunk: clients time their
          // own header timeouts and show "connected" from this moment. A whole body goes
          // out with its headers in one write.
          if (contentType.includes('text/event-stream')) res.flushHeaders();
          rec.responseStarted(status, redactHeaders(upHeaders), contentType, String(upHeaders['content-encoding'] ?? ''));
        },
        onData: (chunk) => {
          if (settled) return true;
          // Pass-through first: the client has the bytes before they are parsed or stored.
          const ok = res.write(chunk);
          rec.chunkForwarded(chunk);
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
          if (settled) return; // the client left first
          if (!started) {
            if (timedOut === 'headers') {
              const message = `Streamtap: ${target.origin} sent no response headers within ${Math.round(headersMs / 1000)} s (header timeout)`;
              sendJson(res, 504, providerShapedError(route, 'timeout_error', message, 'streamtap_header_timeout'));
              rec.record.httpStatus = 504;
              settleOnce({ kind: 'header_timeout', afterMs: headersMs }, null, message);
              return;
            }
            const code = errorCode(err);
            const why = errorMessage(err);
            const message = `Streamtap could not reach upstream "${r.upstream}" at ${redactUrl(target.origin + target.path)}: ${code ? `${code} ` : ''}${why}`;
            sendJson(res, 502, providerShapedError(route, 'api_connection_error', message, code ?? 'upstream_unreachable'));
            rec.record.httpStatus = 502;
            settleOnce({ kind: 'unreachable', code, message: why }, code, message);
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
    // Reading the body for the record (a JSON.parse of an agent's 500 KB prompt takes
    // milliseconds) waits until the request is on its way upstream.
    setImmediate(() => rec.setRequestBody(body, headerValue(req.headers, 'content-encoding')));
  }

  /** Recording paused: forward exactly as usual, write nothing. */
  private async passThroughUnrecorded(req: IncomingMessage, res: ServerResponse, route: RouteResult): Promise<void> {
    if (!route.ok) {
      req.resume();
      sendJson(res, 404, providerShapedError(route, 'not_found_error', `Streamtap: ${route.reason}`, 'streamtap_no_upstream'));
      return;
    }
    let forwarding: Forwarding | null = null;
    res.once('close', () => {
      if (!res.writableFinished) forwarding?.abort(new Error('client closed the connection'));
    });
    const body = await readBody(req).catch(() => null);
    if (body === null) return;
    const target = upstreamTarget(route.route.baseUrl, route.route.forwardPath);
    forwarding = forward(
      this.dispatcher,
      upstreamRequest(req, target, forwardRequestHeaders(req.headers), body),
      {
        onStart: (status, headers) => {
          res.writeHead(status, forwardResponseHeaders(headers));
          res.flushHeaders();
        },
        onData: (chunk) => {
          const ok = res.write(chunk);
          if (!ok) res.once('drain', () => forwarding?.resume());
          return ok;
        },
        onEnd: () => res.end(),
        onError: (err) => {
          if (res.headersSent || res.destroyed) res.destroy();
          else sendJson(res, 502, providerShapedError(route, 'api_connection_error', `Streamtap could not reach ${target.origin}: ${errorMessage(err)}`, errorCode(err)));
        },
      },
    );
  }

  /** Codex may try a WebSocket on GET /v1/responses first. Refuse at once (never hang)
   * so it falls back to HTTP, which Streamtap records. */
  private refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
    const door = checkDoor(req);
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
    rec.record.httpStatus = 501;
    void this.settle(rec, { kind: 'refused', message: 'WebSocket upgrade refused' }, null, 'WebSocket upgrade refused so the client falls back to HTTP');
  }
}

function routeHints(req: IncomingMessage): RouteHints {
  return { anthropicVersion: req.headers['anthropic-version'] !== undefined };
}

function checkHostOnly(req: IncomingMessage): DoorVerdict {
  return isLoopbackHost(req.headers.host) ? { ok: true } : checkDoor(req);
}

/** The request as sent upstream, recorded or not. A body-less GET/HEAD sends no body;
 * other methods keep theirs, even an empty one (its content-length: 0 is forwarded). */
function upstreamRequest(req: IncomingMessage, target: { origin: string; path: string }, headers: ForwardRequest['headers'], body: Buffer): ForwardRequest {
  const method = req.method ?? 'GET';
  return { origin: target.origin, path: target.path, method, headers, body: body.length > 0 || !['GET', 'HEAD'].includes(method) ? body : null };
}

function clientCloseCode(res: ServerResponse): string | null {
  const err = (res.socket as unknown as { errored?: { code?: string } } | null)?.errored;
  return err?.code ?? null;
}

/** The whole request body. The record needs the model and stream flag from it, and a
 * buffered body lets undici send it with one write; on loopback the client's upload
 * takes microseconds. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.once('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('client closed during upload'));
    });
  });
}

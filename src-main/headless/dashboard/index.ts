// The headless dashboard: the same React renderer the Electron window shows, served to
// a browser on the proxy's own loopback port under /__streamtap, with the contract's
// channels as an HTTP API and the live feed as server-sent events. It exposes:
//   GET  /__streamtap/…                 the built renderer (routes/static.ts)
//   POST /__streamtap/api/call/<chan>   a contract channel (routes/call.ts)
//   GET  /__streamtap/api/events        LiveEvent stream (routes/events.ts)
//   GET  /__streamtap/api/export        a download of a filter (routes/export.ts)
// to the user's own browser only (guard.ts). This file checks each request against the
// guard and hands it to its route; it opens no socket (the proxy routes our paths here).
// No response carries a stack trace.

import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { API_PREFIX, DASHBOARD_PREFIX, TOKEN_HEADER, TOKEN_PARAM } from '../../common/routes.js';
import type { Core } from '../../core/create-core.js';
import { defaultRendererDir } from '../renderer-dir.js';
import { TOKEN_REFUSED_MESSAGE, headerOne, loadDashboardToken, newToken, refuseCrossOrigin, tokenMatcher } from './guard.js';
import { securityHeaders, sendApiError, sendText } from './responses.js';
import { createCallRoute } from './routes/call.js';
import { DEFAULT_HEARTBEAT_MS, createEventsRoute } from './routes/events.js';
import { createExportRoute } from './routes/export.js';
import { createStaticRoute } from './routes/static.js';

export interface DashboardOptions {
  /** the built renderer; default out/renderer at the repo root (electron-vite's output) */
  rendererDir?: string;
  /** the API token; default: the one kept in `tokenFile`, else 32 random bytes (hex) for this launch only */
  token?: string;
  /** where the token is kept across launches (loadDashboardToken); the CLI passes the data folder's */
  tokenFile?: string;
  /** with `tokenFile`: replace the kept token with a new one (open tabs are then refused) */
  rotateToken?: boolean;
  /** SSE heartbeat period (a comment line keeps proxies and idle timers from closing it) */
  heartbeatMs?: number;
  /** live-feed coalescing interval */
  liveIntervalMs?: number;
}

export interface DashboardHandler {
  readonly token: string;
  /** serves a request whose path starts with /__streamtap (the proxy routes them here) */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** the URL to print: the page reads the token from it, then keeps it in sessionStorage */
  urlFor(proxyBaseUrl: string): string;
  /** ends the SSE streams and stops the live feed; later requests get 503 */
  close(): void;
}

export function createDashboardHandler(core: Pick<Core, 'api' | 'live'>, opts: DashboardOptions = {}): DashboardHandler {
  const token = opts.token ?? (opts.tokenFile ? loadDashboardToken(opts.tokenFile, { rotate: opts.rotateToken === true }) : newToken());
  const tokenOk = tokenMatcher(token);
  const serveStatic = createStaticRoute(path.resolve(opts.rendererDir ?? defaultRendererDir()));
  const serveCall = createCallRoute(core);
  const events = createEventsRoute(core, {
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    ...(opts.liveIntervalMs !== undefined ? { liveIntervalMs: opts.liveIntervalMs } : {}),
  });
  const serveExport = createExportRoute(core, events.broadcast);
  let closed = false;

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (closed) {
      req.resume();
      return sendText(res, 503, 'the Streamtap dashboard has stopped');
    }
    const refused = refuseCrossOrigin(req, core.api['status.get']({}).port);
    if (refused) {
      req.resume();
      return sendText(res, 403, `Streamtap refused this request: ${refused}`);
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = url.pathname;
    // The URL parser resolves dot segments (/__streamtap/../v1/…): what is left must
    // still be ours.
    if (pathname !== DASHBOARD_PREFIX && !pathname.startsWith(DASHBOARD_PREFIX + '/')) {
      req.resume();
      return sendText(res, 404, 'not found');
    }
    if (pathname === DASHBOARD_PREFIX) {
      // Relative asset URLs in the page resolve against the folder, so it needs the slash.
      req.resume();
      res.writeHead(302, { ...securityHeaders(), location: `${DASHBOARD_PREFIX}/${url.search}` });
      return res.end();
    }
    if (!pathname.startsWith(API_PREFIX)) return serveStatic(req, res, pathname);

    const endpoint = pathname.slice(API_PREFIX.length);
    const isCall = endpoint.startsWith('call/');
    // Calls carry the token in a header only, so it never lands in a log or history;
    // EventSource and download links cannot set headers, hence ?token= for those.
    const given = headerOne(req, TOKEN_HEADER) ?? (isCall ? undefined : (url.searchParams.get(TOKEN_PARAM) ?? undefined));
    if (!tokenOk(given)) {
      req.resume();
      return sendApiError(res, 401, 'forbidden', TOKEN_REFUSED_MESSAGE);
    }
    if (isCall) {
      if (req.method !== 'POST') {
        req.resume();
        return sendApiError(res, 405, 'invalid_payload', 'channels are called with POST', { allow: 'POST' });
      }
      let channel: string;
      try {
        channel = decodeURIComponent(endpoint.slice('call/'.length));
      } catch {
        channel = '';
      }
      return serveCall(req, res, channel);
    }
    if (endpoint === 'events' || endpoint === 'export') {
      req.resume();
      if (req.method !== 'GET') return sendApiError(res, 405, 'invalid_payload', `${endpoint} is read with GET`, { allow: 'GET' });
      return endpoint === 'events' ? events.serve(req, res) : serveExport(res, url);
    }
    req.resume();
    return sendApiError(res, 404, 'not_found', `no dashboard API at ${pathname.slice(0, 200)}`);
  };

  return {
    token,
    handle(req, res) {
      route(req, res).catch(() => {
        // Never a stack in a response; the message of an unexpected failure may carry paths.
        if (!res.headersSent) sendApiError(res, 500, 'internal', 'internal error in the Streamtap dashboard');
        else res.destroy();
      });
    },
    urlFor(proxyBaseUrl) {
      return `${proxyBaseUrl.replace(/\/+$/, '')}${DASHBOARD_PREFIX}/?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
    },
    close() {
      if (closed) return;
      closed = true;
      events.close();
    },
  };
}

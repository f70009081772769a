// The headless dashboard: the same React renderer the Electron window shows, served to
// a browser on the proxy's own loopback port under /__streamtap, with the contract's
// channels as an HTTP API and the live feed as server-sent events. It exposes:
//   GET  /__streamtap/…                 the built renderer (out/renderer), no data in it
//   POST /__streamtap/api/call/<chan>   a contract channel; JSON args → {ok,result|error}
//   GET  /__streamtap/api/events        LiveEvent stream (SSE, `event: live`)
//   GET  /__streamtap/api/export        a download (json | jsonl | har) of a filter
// to the user's own browser only:
// - every API request carries the dashboard token (header `x-streamtap-token`, or
//   `?token=` where a browser cannot set headers: EventSource, a download link). The
//   token is kept in the data folder (readable by the user only), so a tab left open
//   across a restart keeps working; `serve --rotate-token` makes a new one;
// - the proxy has already refused a non-loopback Host (DNS rebinding); for these paths
//   it leaves the Origin rule to us, because the dashboard's own fetches are browser
//   requests and carry Origin. Only our own origin is accepted, `Sec-Fetch-Site` must
//   be same-origin or none, preflights are refused and no CORS header is ever sent, so
//   no other web page can read from or write to this API.
// No response carries a stack trace.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPORT_FORMATS, ExportFormatSchema, dispatch, exportFileName, type ApiError, type Handlers, type LiveEvent } from '../common/contract.js';
import { RecordFilterSchema, type RecordFilter } from '../common/record.js';
import { ApiModelError, buildAppStatus, createApiModel } from '../core/api-model.js';
import { contentTypeFor } from '../core/content-types.js';
import type { Core } from '../core/create-core.js';
import { EXPORT_WRITERS } from '../core/export/writers.js';
import { createLiveFeed } from '../core/live-feed.js';
import { API_PREFIX, DASHBOARD_PREFIX, TOKEN_HEADER, TOKEN_PARAM } from '../common/routes.js';
import { isLoopbackHost } from '../core/proxy/security.js';
import { SETTINGS_FILE, defaultDataDir } from '../core/settings.js';
import { type Settings } from '../common/settings.js';

export interface DashboardOptions {
  /** the built renderer; default out/renderer at the repo root (electron-vite's output) */
  rendererDir?: string;
  /** the API token; default: the one kept in `tokenFile`, else 32 random bytes (hex) for this launch only */
  token?: string;
  /** where the token is kept across launches (loadDashboardToken); the CLI passes the data folder's */
  tokenFile?: string;
  /** with `tokenFile`: replace the kept token with a new one (open tabs are then refused) */
  rotateToken?: boolean;
  /** the settings file `settings.set` writes; default settings.json in the data folder */
  settingsFile?: string;
  /** applies saved settings to the running server; without it they apply at the next start */
  applySettings?: (s: Settings) => Promise<void>;
  /** SSE heartbeat period (a comment line keeps proxies and idle timers from closing it) */
  heartbeatMs?: number;
  /** live-feed coalescing interval */
  liveIntervalMs?: number;
}

export interface DashboardServer {
  readonly token: string;
  /** serves a request whose path starts with /__streamtap (the proxy routes them here) */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** the URL to print: the page reads the token from it, then keeps it in sessionStorage */
  urlFor(proxyBaseUrl: string): string;
  /** ends the SSE streams and stops the live feed; later requests get 503 */
  close(): void;
}

/** The token's file in the data folder. */
export const TOKEN_FILE = 'dashboard-token';
/** What a refused token is told (the page shows its own words, with a way out). */
export const TOKEN_REFUSED_MESSAGE =
  'the dashboard token was refused (Streamtap was started with a new one, e.g. after --rotate-token): open the dashboard URL that `streamtap serve` printed';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const DEFAULT_HEARTBEAT_MS = 15_000;
/** a call's JSON body; the largest legitimate one (settings) is a few KB */
const MAX_BODY_BYTES = 1024 * 1024;
/** an SSE client this far behind is cut off; EventSource reconnects and the page reloads its data */
const MAX_SSE_BACKLOG_BYTES = 4 * 1024 * 1024;



const HTTP_STATUS: Record<ApiError['code'], number> = {
  invalid_payload: 400,
  invalid_settings: 400,
  unknown_channel: 404,
  not_found: 404,
  forbidden: 403,
  internal: 500,
};

/** out/renderer at the repo root: this file is src-main/headless/dashboard-server.ts. */
export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../../out/renderer/', import.meta.url));
}

/** Headers every dashboard response carries, data or not. */
function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    // Other origins may not even embed our responses (<script src>, <img src>).
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...securityHeaders(),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...securityHeaders(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...extra,
  });
  res.end(body);
}

function sendApiError(res: ServerResponse, status: number, code: ApiError['code'], message: string, extra: Record<string, string> = {}): void {
  sendJson(res, status, { ok: false, error: { code, message } }, extra);
}

function headerOne(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Same-origin only. Returns the reason to refuse, or null. */
export function refuseCrossOrigin(req: IncomingMessage, port: number | null): string | null {
  const host = req.headers.host;
  if (!isLoopbackHost(host)) return 'the Host is not a loopback name';
  if (req.method === 'OPTIONS') return 'CORS preflight refused: the dashboard API is not reachable cross-origin';
  const site = headerOne(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `a request from another site (Sec-Fetch-Site: ${site}) is refused; open the dashboard URL directly`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const allowed = port === null ? [] : [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
    // Same origin means the page's own scheme://host:port, which is also what it addressed.
    if (!allowed.includes(origin) || origin !== `http://${(host ?? '').toLowerCase()}`) {
      return `requests from another origin (${origin.slice(0, 200)}) are refused`;
    }
  }
  return null;
}

function readJsonBody(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Awaited<ReturnType<typeof readJsonBody>>) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Answer now and discard the rest (destroying the request would also destroy
        // the socket the answer goes out on).
        parts.length = 0;
        finish({ ok: false, status: 413, message: `the request body is larger than ${MAX_BODY_BYTES} bytes` });
        return;
      }
      parts.push(c);
    });
    req.once('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (text.trim() === '') return finish({ ok: true, value: undefined });
      try {
        finish({ ok: true, value: JSON.parse(text) as unknown });
      } catch {
        finish({ ok: false, status: 400, message: 'the request body is not valid JSON' });
      }
    });
    req.once('error', () => finish({ ok: false, status: 400, message: 'the request body could not be read' }));
  });
}


const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The dashboard token kept in `file`: read when it is there and well-formed, else made
 * and written (also when `rotate` asks for a new one). The file is the user's only
 * (0600, and tightened if it was left wider) because the token opens every record;
 * it is written to a temporary file and renamed, so a crash never leaves half a token.
 */
export function loadDashboardToken(file: string, opts: { rotate?: boolean } = {}): string {
  if (!opts.rotate) {
    try {
      const kept = fs.readFileSync(file, 'utf8').trim();
      if (TOKEN_PATTERN.test(kept)) {
        if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
        return kept;
      }
    } catch {
      // none yet (or unreadable): make one below
    }
  }
  const token = newToken();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

export async function startDashboard(core: Core, opts: DashboardOptions = {}): Promise<DashboardServer> {
  const token = opts.token ?? (opts.tokenFile ? loadDashboardToken(opts.tokenFile, { rotate: opts.rotateToken === true }) : newToken());
  if (token.length < 16) throw new Error('the dashboard token must be at least 16 characters');
  // Hashing both sides gives equal-length inputs for timingSafeEqual, whatever was sent.
  const tokenDigest = createHash('sha256').update(token).digest();
  const rendererDir = path.resolve(opts.rendererDir ?? defaultRendererDir());
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;

  const handlers: Handlers = {
    ...createApiModel(core, {
      runtime: 'headless',
      settingsFile: opts.settingsFile ?? path.join(defaultDataDir(), SETTINGS_FILE),
      ...(opts.applySettings ? { applySettings: opts.applySettings } : {}),
    }),
    'export.run': () => {
      // The browser transport exports by navigating to GET /api/export (a download),
      // which a JSON call cannot do.
      throw new ApiModelError('not_found', `export.run is not a call over HTTP: download from GET ${API_PREFIX}export?format=json&filter=…`);
    },
  };

  let closed = false;
  const sseClients = new Set<ServerResponse>();
  let stopFeed: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;

  const tokenOk = (given: string | undefined): boolean =>
    given !== undefined && given !== '' && timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest);

  const dropSse = (res: ServerResponse) => {
    if (!sseClients.delete(res)) return;
    if (!res.destroyed) res.end();
    if (sseClients.size === 0) {
      // Nobody listens: stop coalescing and building statuses for no one.
      stopFeed?.();
      stopFeed = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    }
  };

  const writeSse = (res: ServerResponse, chunk: string) => {
    if (res.destroyed || res.writableEnded) return dropSse(res);
    if (res.writableLength > MAX_SSE_BACKLOG_BYTES) {
      res.destroy();
      return dropSse(res);
    }
    res.write(chunk);
  };

  const broadcast = (ev: LiveEvent) => {
    const chunk = `event: live\ndata: ${JSON.stringify(ev)}\n\n`;
    for (const res of [...sseClients]) writeSse(res, chunk);
  };

  const serveEvents = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...securityHeaders(),
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      // Reverse proxies (nginx) must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write('retry: 2000\n\n');
    sseClients.add(res);
    res.once('close', () => dropSse(res));
    if (!stopFeed) stopFeed = createLiveFeed(core, broadcast, { runtime: 'headless', ...(opts.liveIntervalMs !== undefined ? { intervalMs: opts.liveIntervalMs } : {}) });
    if (!heartbeat) {
      heartbeat = setInterval(() => {
        for (const c of [...sseClients]) writeSse(c, ': heartbeat\n\n');
      }, heartbeatMs);
      heartbeat.unref();
    }
    // The page gets the current status at once rather than at the next change.
    try {
      writeSse(res, `event: live\ndata: ${JSON.stringify({ type: 'status', status: buildAppStatus(core, 'headless') } satisfies LiveEvent)}\n\n`);
    } catch {
      // the status is pushed again on the next change
    }
  };

  const serveCall = async (req: IncomingMessage, res: ServerResponse, channel: string) => {
    const type = headerOne(req, 'content-type') ?? '';
    // A JSON content type cannot be sent cross-origin without a preflight (refused
    // above): one more wall against form-based request forgery.
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      req.resume();
      return sendApiError(res, 415, 'invalid_payload', 'send the arguments as JSON with Content-Type: application/json');
    }
    const body = await readJsonBody(req);
    if (!body.ok) return sendApiError(res, body.status, 'invalid_payload', body.message, body.status === 413 ? { connection: 'close' } : {});
    const result = await dispatch(handlers, channel, body.value);
    if (result.ok) return sendJson(res, 200, result);
    return sendJson(res, HTTP_STATUS[result.error.code] ?? 500, result);
  };

  const serveExport = async (res: ServerResponse, url: URL) => {
    const format = ExportFormatSchema.safeParse(url.searchParams.get('format') ?? 'json');
    if (!format.success) return sendApiError(res, 400, 'invalid_payload', 'format must be json, jsonl or har');
    let filterJson: unknown = {};
    const rawFilter = url.searchParams.get('filter');
    if (rawFilter) {
      try {
        filterJson = JSON.parse(rawFilter) as unknown;
      } catch {
        return sendApiError(res, 400, 'invalid_payload', 'filter is not valid JSON');
      }
    }
    const filter = RecordFilterSchema.safeParse(filterJson);
    if (!filter.success) {
      const issue = filter.error.issues[0];
      return sendApiError(res, 400, 'invalid_payload', `filter: ${issue?.path.join('.') || 'filter'}: ${issue?.message ?? 'invalid'}`);
    }
    const exportId = url.searchParams.get('exportId');
    if (exportId !== null && !/^[\w-]{1,64}$/.test(exportId)) {
      return sendApiError(res, 400, 'invalid_payload', 'exportId must be 1 to 64 letters, digits, "-" or "_"');
    }
    const f: RecordFilter = filter.data;
    const includeEvents = url.searchParams.get('events') === '1';
    // The browser shows the download itself; with an exportId the page also gets
    // export.progress events on the live stream (the count is not known to it otherwise).
    const progress = (written: number, done: boolean) => {
      if (exportId !== null) broadcast({ type: 'export.progress', exportId, written, done });
    };
    res.writeHead(200, {
      ...securityHeaders(),
      'content-type': EXPORT_FORMATS[format.data].mediaType,
      'content-disposition': `attachment; filename="${exportFileName(format.data, new Date())}"`,
    });
    let written = 0;
    try {
      // The records recorded up to this click are in it (awaited, not waited for).
      await core.store.written();
      const { count } = await EXPORT_WRITERS[format.data](core.store.iterate(f, 'asc'), res, {
        filters: f,
        includeEvents,
        onProgress: (n) => {
          written = n;
          progress(n, false);
        },
      });
      res.end();
      progress(count, true);
    } catch {
      // Headers are out: a cut connection is the only honest signal of a failed
      // download (a clean end would pass a truncated file off as complete).
      res.destroy();
      progress(written, true);
    }
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    }
    const indexFile = path.join(rendererDir, 'index.html');
    const built = await fsp.stat(indexFile).then((s) => s.isFile(), () => false);
    if (!built) {
      return sendText(
        res,
        503,
        `The Streamtap dashboard has not been built yet.\n\nRun \`npm run build\` in the Streamtap folder, then reload this page.\n(looked for ${indexFile})\n`,
      );
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice(DASHBOARD_PREFIX.length + 1));
    } catch {
      return sendText(res, 400, 'bad path');
    }
    if (rel.includes('\0') || rel.split(/[\\/]/).some((seg) => seg.startsWith('.'))) return sendText(res, 404, 'not found');
    let file = rel === '' ? indexFile : path.resolve(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return sendText(res, 404, 'not found');
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch {
      // A client-side route (no extension) gets the page; a missing asset is a 404.
      if (path.extname(rel) !== '') return sendText(res, 404, 'not found');
      file = indexFile;
      data = await fsp.readFile(file);
    }
    res.writeHead(200, {
      ...securityHeaders(),
      'content-type': contentTypeFor(file),
      'content-length': String(data.length),
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (closed) {
      req.resume();
      return sendText(res, 503, 'the Streamtap dashboard has stopped');
    }
    const refused = refuseCrossOrigin(req, core.status().port);
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
      return endpoint === 'events' ? serveEvents(req, res) : serveExport(res, url);
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
      for (const res of [...sseClients]) dropSse(res);
      stopFeed?.();
      stopFeed = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    },
  };
}

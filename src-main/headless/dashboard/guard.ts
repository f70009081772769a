// Who may use the dashboard: the user's own browser only.
// - every API request carries the dashboard token (header `x-streamtap-token`, or
//   `?token=` where a browser cannot set headers: EventSource, a download link). The
//   token is kept in the data folder (readable by the user only), so a tab left open
//   across a restart keeps working; `serve --rotate-token` makes a new one;
// - the proxy has already refused a non-loopback Host (DNS rebinding); for these paths
//   it leaves the Origin rule to us, because the dashboard's own fetches are browser
//   requests and carry Origin. Only our own origin is accepted, `Sec-Fetch-Site` must
//   be same-origin or none, preflights are refused and no CORS header is ever sent, so
//   no other web page can read from or write to this API.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { isLoopbackHost } from '../../core/proxy/security.js';

/** The token's file in the data folder. */
export const TOKEN_FILE = 'dashboard-token';
/** What a refused token is told (the page shows its own words, with a way out). */
export const TOKEN_REFUSED_MESSAGE =
  'the dashboard token was refused (Streamtap was started with a new one, e.g. after --rotate-token): open the dashboard URL that `streamtap serve` printed';

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function newToken(): string {
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

/** Whether a sent token is `token`, compared in constant time. */
export function tokenMatcher(token: string): (given: string | undefined) => boolean {
  if (token.length < 16) throw new Error('the dashboard token must be at least 16 characters');
  // Hashing both sides gives equal-length inputs for timingSafeEqual, whatever was sent.
  const tokenDigest = createHash('sha256').update(token).digest();
  return (given) => given !== undefined && given !== '' && timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest);
}

export function headerOne(req: IncomingMessage, name: string): string | undefined {
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

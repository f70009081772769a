// The door check, applied before anything is forwarded or recorded.
// - DNS rebinding: a web page can make a browser send requests to 127.0.0.1 under a
//   hostname it controls; the Host header then names that hostname, so anything but a
//   loopback name is refused.
// - Browsers: coding tools never send `Origin`; a browser always does on cross-origin
//   fetches (and `null` from sandboxed frames / file:). Refusing every Origin, every
//   preflight, and never sending CORS headers keeps the proxy — which carries the
//   user's credentials upstream — unusable from a web page.

import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  // Strip the port: "[::1]:7788", "localhost:7788", "127.0.0.1".
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  return /^127(?:\.\d{1,3}){3}$/.test(name);
}

export type Admission = { ok: true } | { ok: false; status: number; reason: string };

/** At most this many request headers (agents send 10 to 30); more get 431. Node is told
 * to keep one more than this, so that too many can be told from just enough. */
export const MAX_HEADER_COUNT = 100;
/** The request line and headers together, as Node's parser counts them; more get 431.
 * 32 KiB: what the providers' own front ends accept. */
export const MAX_HEADER_BYTES = 32 * 1024;

function hostHeaderCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}

export function admitRequest(req: IncomingMessage): Admission {
  // Node keeps the first of several Host headers; a second one could name another host
  // than the one checked below (request smuggling through a proxy in front).
  if (hostHeaderCount(req.rawHeaders) > 1) {
    return { ok: false, status: 400, reason: 'the request has more than one Host header' };
  }
  if (req.rawHeaders.length / 2 > MAX_HEADER_COUNT) {
    return { ok: false, status: 431, reason: `the request has more than ${MAX_HEADER_COUNT} headers` };
  }
  if (!isLoopbackHost(req.headers.host)) {
    return { ok: false, status: 403, reason: `Host "${req.headers.host ?? ''}" is not a loopback name; Streamtap only answers requests addressed to 127.0.0.1 or localhost` };
  }
  if (req.headers.origin !== undefined) {
    return { ok: false, status: 403, reason: 'requests from web pages (with an Origin header) are refused: Streamtap is for local tools, not browsers' };
  }
  if (req.method === 'OPTIONS') {
    return { ok: false, status: 403, reason: 'CORS preflight refused: Streamtap is not reachable cross-origin' };
  }
  return { ok: true };
}

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

export type DoorVerdict = { ok: true } | { ok: false; status: number; reason: string };

export function checkDoor(req: IncomingMessage): DoorVerdict {
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

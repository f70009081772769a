// Header handling for the proxy: what is forwarded (hop-by-hop headers dropped per
// RFC 9110 §7.6.1, including those named in `Connection`), and what is stored
// (credentials redacted: they are forwarded, never stored, logged or exported).

import { createHash } from 'node:crypto';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Names listed in a Connection header are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (!value) return out;
  for (const v of Array.isArray(value) ? value : [value]) {
    for (const token of v.split(',')) {
      const t = token.trim().toLowerCase();
      if (t) out.add(t);
    }
  }
  return out;
}

export type RawHeaders = Record<string, string | string[] | undefined>;

/** Headers to send upstream: the client's, minus hop-by-hop and `host` (undici sets
 * the upstream host). Everything else — credentials included — goes through untouched. */
export function forwardRequestHeaders(headers: RawHeaders): Record<string, string | string[]> {
  const drop = connectionTokens(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower) || lower === 'host') continue;
    out[lower] = value;
  }
  return out;
}

/** Response headers to send to the client: hop-by-hop dropped, and no CORS header is
 * ever passed on (the proxy must not be readable cross-origin from a browser). */
export function forwardResponseHeaders(headers: RawHeaders): Record<string, string | string[]> {
  const drop = connectionTokens(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower) || lower.startsWith('access-control-')) continue;
    out[lower] = value;
  }
  return out;
}

const SECRET_HEADER = /authorization|api[-_]?key|cookie|token|secret|password|signature|credential/i;
// Rate-limit headers mention "tokens" but hold counts that explain a 429: keep them.
const RATE_LIMIT_HEADER = /rate-?limit/i;
const SECRET_QUERY = /^(key|api[-_]?key|apikey|token|access[-_]?token|auth|sig|signature|secret|password|code)$/i;

/** `sk-proj-abc…wxyz` → `sk-…wxyz`: enough to tell two keys apart, useless to anyone. */
export function redactSecret(value: string): string {
  const v = value.trim();
  const scheme = /^(Bearer|Basic|Token|Key)\s+/i.exec(v);
  const secret = scheme ? v.slice(scheme[0].length) : v;
  const prefix = scheme ? scheme[0] : '';
  if (secret.length < 16) return `${prefix}…`;
  const head = /^[a-z]{2,6}-/i.exec(secret)?.[0] ?? '';
  return `${prefix}${head}…${secret.slice(-4)}`;
}

/** Headers as stored in a record: one string per name, secrets redacted. */
export function redactHeaders(headers: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(', ') : value;
    out[lower] = SECRET_HEADER.test(lower) && !RATE_LIMIT_HEADER.test(lower) ? redactSecret(joined) : joined;
  }
  return out;
}

/** The path + query as stored: credentials in the query (`?key=…`) redacted. */
export function redactUrl(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q === -1) return pathAndQuery;
  const path = pathAndQuery.slice(0, q);
  const parts = pathAndQuery
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const k = pair.slice(0, eq);
      let name = k;
      try {
        name = decodeURIComponent(k);
      } catch {
        // keep the raw name
      }
      return SECRET_QUERY.test(name) ? `${k}=${encodeURIComponent(redactSecret(safeDecode(pair.slice(eq + 1))))}` : pair;
    });
  return `${path}?${parts.join('&')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A short one-way fingerprint of the credential, to group requests into sessions
 * without storing anything that could be used as the credential. */
export function credentialFingerprint(headers: RawHeaders): string | null {
  const raw = headers['authorization'] ?? headers['x-api-key'] ?? headers['api-key'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return null;
  return createHash('sha256').update('streamtap:' + value).digest('hex').slice(0, 12);
}

export function headerValue(headers: RawHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

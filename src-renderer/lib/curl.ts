// "Copy as curl": the request replayed through Streamtap, without credentials. The
// stored headers are already redacted (sk-…abcd), but even a redacted key does not
// belong in a command people paste into chats and issues, so credential headers are
// dropped and replaced by a shell variable the reader fills in. Pure.

import type { RequestRecord } from '../../src-main/common/record.js';

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization', 'x-goog-api-key']);
// Set by curl itself or meaningless for a replay.
const SKIP_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'accept-encoding', 'upgrade', 'te']);

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function envName(upstream: string): string {
  const base = upstream.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${base || 'UPSTREAM'}_API_KEY`;
}

/** The credential placeholder header for the record's upstream. */
export function credentialPlaceholder(rec: Pick<RequestRecord, 'upstream' | 'api'>): string {
  if (rec.upstream === 'anthropic' || rec.api === 'messages') return '-H "x-api-key: $ANTHROPIC_API_KEY"';
  if (rec.upstream === 'openai') return '-H "Authorization: Bearer $OPENAI_API_KEY"';
  return `-H "Authorization: Bearer $${envName(rec.upstream)}"`;
}

export function toCurl(
  rec: Pick<RequestRecord, 'method' | 'path' | 'upstream' | 'api' | 'stream' | 'requestHeaders' | 'requestBody'>,
  baseUrl: string,
): string {
  const url = baseUrl.replace(/\/+$/, '') + (rec.path.startsWith('/') ? rec.path : `/${rec.path}`);
  const lines: string[] = [];
  if (rec.requestBody.truncated) lines.push('# note: the body below was cut at the capture limit; this sends only the captured part');
  const head = ['curl'];
  if (rec.stream) head.push('-N');
  if (rec.method !== 'GET' || rec.requestBody.text) head.push('-X', rec.method);
  head.push(shellQuote(url));
  const parts: string[] = [head.join(' ')];
  let hadCredential = false;
  for (const [name, value] of Object.entries(rec.requestHeaders)) {
    const lower = name.toLowerCase();
    if (CREDENTIAL_HEADERS.has(lower)) {
      hadCredential = true;
      continue;
    }
    if (SKIP_HEADERS.has(lower)) continue;
    parts.push(`-H ${shellQuote(`${lower}: ${value}`)}`);
  }
  if (hadCredential) parts.push(credentialPlaceholder(rec));
  if (rec.requestBody.text) parts.push(`--data-raw ${shellQuote(rec.requestBody.text)}`);
  lines.push(parts.join(' \\\n  '));
  return lines.join('\n');
}

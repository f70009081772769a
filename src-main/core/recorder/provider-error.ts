// Turns a provider's error answer (a non-2xx status, its headers and body) into the
// record's ProviderError: type, code, message and how long the provider asked us to
// wait. Pure: no I/O. Bodies come in many shapes — OpenAI's {error:{…}}, Anthropic's
// {type:'error', error:{…}}, OpenAI-compatible servers' flat objects, and HTML pages
// from load balancers and CDNs — and none of them may make this throw.

import type { ProviderError } from '../../common/record.js';
import { code, nonEmpty, obj } from './adapters/shared.js';

/** Plain-text and HTML bodies are summarised to this many characters. */
export const TEXT_MESSAGE_CHARS = 300;
/** JSON messages are kept whole up to this length (providers' messages are short). */
const JSON_MESSAGE_CHARS = 2000;
const NAME_CHARS = 200;
/** HTML is stripped from at most this prefix: the summary needs only the start. */
const HTML_SCAN_CHARS = 64 * 1024;

/**
 * The error carried by a parsed JSON value, or null when it holds none. Used for error
 * bodies and for error events inside a stream (the same shapes appear in both).
 */
export function providerErrorFromJson(value: unknown): ProviderError | null {
  // Google-style gateways answer with a one-element array.
  const o = obj(Array.isArray(value) ? value[0] : value);
  if (!o) return null;
  const inner = obj(o['error']);
  let type: string | null;
  let errCode: string | null;
  let message: string | null;
  if (inner) {
    // OpenAI / Anthropic / OpenRouter: {error:{type, code, message}}; Google: {error:{status, code, message}}.
    type = nonEmpty(inner['type']) ?? nonEmpty(inner['status']);
    errCode = code(inner['code']);
    message = nonEmpty(inner['message']) ?? nonEmpty(inner['error']);
  } else {
    // Flat shapes: vLLM {object:'error', type, code, message}; Responses stream
    // `error` event {type:'error', code, message}; {error:'text'}; FastAPI {detail}.
    // A top-level type of 'error' names the envelope, not the kind of error.
    const topType = nonEmpty(o['type']);
    type = topType !== null && topType !== 'error' ? topType : null;
    errCode = code(o['code']);
    message = nonEmpty(o['error']) ?? nonEmpty(o['message']) ?? detailText(o['detail']);
  }
  if (type === null && errCode === null && message === null) return null;
  return {
    type: clip(type, NAME_CHARS),
    code: clip(errCode, NAME_CHARS),
    message: clip(message, JSON_MESSAGE_CHARS),
    retryAfterS: null,
  };
}

function detailText(detail: unknown): string | null {
  if (typeof detail === 'string') return detail.length > 0 ? detail : null;
  if (detail === undefined || detail === null) return null;
  try {
    return JSON.stringify(detail).slice(0, TEXT_MESSAGE_CHARS);
  } catch {
    return null;
  }
}

function clip(s: string | null, max: number): string | null {
  return s !== null && s.length > max ? s.slice(0, max) : s;
}

/** Case-insensitive header lookup: proxies and fetch implementations disagree on case. */
function header(headers: Record<string, string>, name: string): string | null {
  if (headers === null || typeof headers !== 'object') return null;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) {
      const v = headers[key] as unknown;
      if (typeof v === 'string') return v;
      if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
      return null;
    }
  }
  return null;
}

/**
 * Seconds the provider asked us to wait. `retry-after-ms` (OpenAI, more precise) wins
 * over `retry-after`, which is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 */
export function retryAfterSeconds(headers: Record<string, string>, now: number = Date.now()): number | null {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms) / 1000;
  const ra = header(headers, 'retry-after');
  if (ra === null) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra);
  // An HTTP date names its weekday and month; without letters Date.parse would take
  // "-5" for the year -5.
  if (!/[a-z]/i.test(ra)) return null;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.round((at - now) / 1000));
}

/** A readable summary of a non-JSON body: HTML reduced to its text, then cut. */
function textSummary(body: string): string | null {
  let text = body.trim();
  if (looksLikeHtml(text)) text = htmlToText(text.slice(0, HTML_SCAN_CHARS));
  if (text.length === 0) return null;
  const cut = text.slice(0, TEXT_MESSAGE_CHARS);
  // never end on half a surrogate pair
  const last = cut.charCodeAt(cut.length - 1);
  return (last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut).trim();
}

function looksLikeHtml(text: string): boolean {
  return /^<(!doctype\s+html|html|head|body|\?xml)/i.test(text) || /<html[\s>]/i.test(text.slice(0, 1024));
}

function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The provider's error for a non-2xx answer. Never throws. `now` is injectable so an
 * HTTP-date retry-after can be tested.
 */
export function parseProviderError(
  // The status is recorded on its own; the body and headers say the rest.
  _status: number,
  headers: Record<string, string>,
  bodyText: string,
  now: number = Date.now(),
): ProviderError {
  const retryAfterS = retryAfterSeconds(headers, now);
  const body = typeof bodyText === 'string' ? bodyText.trim() : '';
  if (body.length === 0) return { type: null, code: null, message: null, retryAfterS };
  if (body.startsWith('{') || body.startsWith('[')) {
    let value: unknown;
    let parsed = true;
    try {
      value = JSON.parse(body);
    } catch {
      parsed = false;
    }
    if (parsed) {
      const fromJson = providerErrorFromJson(value);
      if (fromJson) return { ...fromJson, retryAfterS };
    }
  }
  return { type: null, code: null, message: textSummary(body), retryAfterS };
}

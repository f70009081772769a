// The public export shape of one record (format version 1), documented by
// schema/export-record.schema.json. Exports leave the machine — they get attached to bug
// reports and shared with teammates — so this mapping is the last line of defence for
// credentials: header values and URL query parameters that look like secrets are
// redacted again here even though the store already holds them redacted.
//
// The shape is a stable contract: renaming or removing a field is a new format version.
// The `ExportRecord` type is written by hand to match the schema; a unit test checks
// that the schema's property list and a full ExportRecord's keys are the same.

import type {
  ApiKind,
  CloseSide,
  Outcome,
  Phase,
  RecordFilter,
  RequestRecord,
} from '../../common/record.js';

export const FORMAT_VERSION = 1;

/** Every CloseSide, at run time (record.ts only has the type). The `satisfies` and the
 * check below fail to compile if the two ever disagree, so the schema test that compares
 * this list to the schema's enum also covers CloseSide. */
export const CLOSE_SIDES = ['client', 'upstream', 'proxy', 'none'] as const satisfies readonly CloseSide[];
type MissingCloseSide = Exclude<CloseSide, (typeof CLOSE_SIDES)[number]>;
const _closeSidesComplete: [MissingCloseSide] extends [never] ? true : never = true;
void _closeSidesComplete;

export interface ExportProviderError {
  type: string | null;
  code: string | null;
  message: string | null;
  retryAfterS: number | null;
}

export interface ExportEvidence {
  closeSide: CloseSide;
  errorCode: string | null;
  eventsSeen: number;
  lastEvent: string | null;
  terminalEventSeen: boolean;
  usageSeen: boolean;
  bytesToClient: number;
}

export interface ExportUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  cachedTokens: number | null;
  totalTokens: number | null;
  estimated: boolean;
}

export interface ExportToolCall {
  id: string | null;
  name: string | null;
  arguments: string;
}

export interface ExportEvent {
  t: number;
  event: string | null;
  data: string;
}

/** How `request.body` is to be read: parsed JSON, plain text, or no body at all. */
export type ExportBodyFormat = 'json' | 'text' | 'none';

export interface ExportRequest {
  headers: Record<string, string>;
  /** parsed JSON when bodyFormat is "json", the text when "text", null when "none" */
  body: unknown;
  bodyFormat: ExportBodyFormat;
  bodyTruncated: boolean;
  bodyBytes: number;
}

export interface ExportResponse {
  headers: Record<string, string>;
  text: string;
  reasoning: string;
  toolCalls: ExportToolCall[];
  body: string | null;
  bodyTruncated: boolean;
  bodyBytes: number | null;
}

/** One record as exported (format version 1). Keep in step with
 * schema/export-record.schema.json — the schema test fails when they drift. */
export interface ExportRecord {
  id: string;
  startedAt: string;
  endedAt: string | null;
  client: string | null;
  clientVersion: string | null;
  userAgent: string | null;
  sessionId: string | null;
  sessionInferred: boolean;
  turnId: string;
  attempt: number;
  upstream: string;
  upstreamUrl: string;
  api: ApiKind;
  method: string;
  path: string;
  model: string | null;
  responseModel: string | null;
  stream: boolean;
  httpStatus: number | null;
  outcome: Outcome;
  phase: Phase | null;
  stopReason: string | null;
  truncated: boolean;
  error: ExportProviderError | null;
  proxyError: string | null;
  diagnosis: string;
  evidence: ExportEvidence;
  retryCount: number | null;
  firstByteMs: number | null;
  ttftMs: number | null;
  lastEventMs: number | null;
  durationMs: number | null;
  usage: ExportUsage;
  eventCount: number;
  badJsonEvents: number;
  bytesIn: number;
  bytesOut: number;
  request: ExportRequest;
  response: ExportResponse;
  /** present only when exported with includeEvents */
  events?: ExportEvent[];
  eventsTruncated: boolean;
}

export interface ToExportOptions {
  /** include the raw SSE event log (large); omitted by default */
  includeEvents?: boolean | undefined;
}

// ---------------------------------------------------------------------------
// Redaction (defence in depth; the proxy redacts before storing)

/** Header names that carry credentials. Rate-limit headers (`x-ratelimit-remaining-tokens`,
 * `anthropic-ratelimit-input-tokens-limit`) contain "token" but are counters a user needs
 * to understand a 429, so they are not secrets. */
const SECRET_HEADER_NAME = /authorization|api[-_]?key|cookie|token|secret|password|credential|signature/i;
const NOT_SECRET_HEADER_NAME = /rate-?limit/i;

/** Query parameters that carry credentials (e.g. Gemini-style `?key=`). */
const SECRET_QUERY_NAME = /^(key|api[-_]?key|apikey|token|access[-_]?token|auth|sig|signature|secret|password|code)$/i;

const ELLIPSIS = '…';

export function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADER_NAME.test(name) && !NOT_SECRET_HEADER_NAME.test(name);
}

/** `Bearer sk-live-…` → `Bearer sk-…WXYZ`: enough to tell two keys apart, useless to
 * anyone else. Values shorter than 16 characters keep nothing but their scheme. */
export function redactSecret(value: string): string {
  const v = value.trim();
  const scheme = /^(Bearer|Basic|Token|Key|Digest)\s+/i.exec(v);
  const prefix = scheme ? `${scheme[1]} ` : '';
  const secret = scheme ? v.slice(scheme[0].length) : v;
  if (secret.length < 16) return `${prefix}${ELLIPSIS}`;
  const head = /^[a-z]{2,6}-/i.exec(secret)?.[0] ?? '';
  return `${prefix}${head}${ELLIPSIS}${secret.slice(-4)}`;
}

/** The exact shapes a redactor leaves: optional scheme, optional short key-style
 * prefixes (`sk-`, `sk-ant-`), the ellipsis, at most 4 trailing characters. Checking the
 * shape rather than just "contains …" means a secret that happens to carry an ellipsis
 * (or a half-redacted value) is still treated as a leak. */
const REDACTED_FORM = /^(?:[A-Za-z]+\s+)?(?:[A-Za-z0-9]{1,8}-){0,3}…\S{0,4}$/;

function isRedacted(value: string): boolean {
  return REDACTED_FORM.test(value.trim());
}

export function redactHeaderMap(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const v = String(value);
    out[name] = isSecretHeaderName(name) && !isRedacted(v) ? redactSecret(v) : v;
  }
  return out;
}

/** Re-redacts credential-like query parameters of a path or absolute URL. Works on the
 * raw text (no URL parsing) so the rest of the string is exported byte for byte. */
export function redactQuery(pathOrUrl: string): string {
  const q = pathOrUrl.indexOf('?');
  if (q === -1) return pathOrUrl;
  const hash = pathOrUrl.indexOf('#', q);
  const end = hash === -1 ? pathOrUrl.length : hash;
  const pairs = pathOrUrl
    .slice(q + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = safeDecode(pair.slice(0, eq));
      if (!SECRET_QUERY_NAME.test(name)) return pair;
      const value = safeDecode(pair.slice(eq + 1));
      if (isRedacted(value)) return pair;
      return `${pair.slice(0, eq)}=${encodeURIComponent(redactSecret(value))}`;
    });
  return `${pathOrUrl.slice(0, q)}?${pairs.join('&')}${pathOrUrl.slice(end)}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------------------
// Mapping

function iso(ms: number, field: string, id: string): string {
  const d = new Date(ms);
  // A corrupt row must fail with a message that names it, not a bare RangeError.
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) {
    throw new RangeError(`record ${id}: ${field} is not a valid time (${String(ms)})`);
  }
  return d.toISOString();
}

function requestBody(r: RequestRecord): { body: unknown; bodyFormat: ExportBodyFormat } {
  const text = r.requestBody.text;
  if (text === '' && r.requestBody.bytes === 0) return { body: null, bodyFormat: 'none' };
  // A body cut at the capture limit is not valid JSON any more; it is exported as text
  // (bodyTruncated says why).
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return { body: JSON.parse(text) as unknown, bodyFormat: 'json' };
    } catch {
      // not JSON after all
    }
  }
  return { body: text, bodyFormat: 'text' };
}

/** The public, stable export shape of one record. Pure: never mutates `r`. */
export function toExportRecord(r: RequestRecord, opts: ToExportOptions = {}): ExportRecord {
  const { body, bodyFormat } = requestBody(r);
  const out: ExportRecord = {
    id: r.id,
    startedAt: iso(r.startedAt, 'startedAt', r.id),
    endedAt: r.endedAt === null ? null : iso(r.endedAt, 'endedAt', r.id),
    client: r.client,
    clientVersion: r.clientVersion,
    userAgent: r.userAgent,
    sessionId: r.sessionId,
    sessionInferred: r.sessionInferred,
    turnId: r.turnId,
    attempt: r.attempt,
    upstream: r.upstream,
    upstreamUrl: redactQuery(r.upstreamUrl),
    api: r.api,
    method: r.method,
    path: redactQuery(r.path),
    model: r.model,
    responseModel: r.responseModel,
    stream: r.stream,
    httpStatus: r.httpStatus,
    outcome: r.outcome,
    phase: r.phase,
    stopReason: r.stopReason,
    truncated: r.truncated,
    error: r.error
      ? {
          type: r.error.type,
          code: r.error.code,
          message: r.error.message,
          retryAfterS: r.error.retryAfterS,
        }
      : null,
    proxyError: r.errorMessage,
    diagnosis: r.diagnosis,
    evidence: {
      closeSide: r.evidence.closeSide,
      errorCode: r.evidence.errorCode,
      eventsSeen: r.evidence.eventsSeen,
      lastEvent: r.evidence.lastEvent,
      terminalEventSeen: r.evidence.terminalEventSeen,
      usageSeen: r.evidence.usageSeen,
      bytesToClient: r.evidence.bytesToClient,
    },
    retryCount: r.retryCount,
    firstByteMs: r.timings.firstByteMs,
    ttftMs: r.timings.ttftMs,
    lastEventMs: r.timings.lastEventMs,
    durationMs: r.timings.durationMs,
    usage: {
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      reasoningTokens: r.usage.reasoningTokens,
      cachedTokens: r.usage.cachedTokens,
      totalTokens: r.usage.totalTokens,
      estimated: r.usage.estimated,
    },
    eventCount: r.eventCount,
    badJsonEvents: r.badJsonEvents,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    request: {
      headers: redactHeaderMap(r.requestHeaders),
      body,
      bodyFormat,
      bodyTruncated: r.requestBody.truncated,
      bodyBytes: r.requestBody.bytes,
    },
    response: {
      headers: redactHeaderMap(r.responseHeaders),
      text: r.responseText,
      reasoning: r.responseReasoning,
      toolCalls: r.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      body: r.responseBody ? r.responseBody.text : null,
      bodyTruncated: r.responseBody ? r.responseBody.truncated : false,
      bodyBytes: r.responseBody ? r.responseBody.bytes : null,
    },
    eventsTruncated: r.eventsTruncated,
  };
  if (opts.includeEvents) {
    // Insert before eventsTruncated so the key order stays the documented one.
    const { eventsTruncated, ...rest } = out;
    return {
      ...rest,
      events: r.events.map((e) => ({ t: e.t, event: e.event, data: e.data })),
      eventsTruncated,
    };
  }
  return out;
}

/** The filter as it appears in a JSON export's header: times as ISO 8601 strings. */
export interface ExportFilters {
  since?: string;
  until?: string;
  outcome?: Outcome[];
  truncated?: boolean;
  model?: string[];
  client?: string[];
  upstream?: string[];
  session?: string[];
  text?: string;
}

/** Every RecordFilter key; the mapped type makes a key added to RecordFilter a compile
 * error here until the export (and its schema) learn about it. */
export const FILTER_KEYS: { readonly [K in keyof Required<RecordFilter>]: true } = {
  since: true,
  until: true,
  outcome: true,
  truncated: true,
  model: true,
  client: true,
  upstream: true,
  session: true,
  text: true,
};

export function toExportFilters(f: RecordFilter): ExportFilters {
  const out: ExportFilters = {};
  if (f.since !== undefined) out.since = iso(f.since, 'since', 'filter');
  if (f.until !== undefined) out.until = iso(f.until, 'until', 'filter');
  if (f.outcome !== undefined) out.outcome = [...f.outcome];
  if (f.truncated !== undefined) out.truncated = f.truncated;
  if (f.model !== undefined) out.model = [...f.model];
  if (f.client !== undefined) out.client = [...f.client];
  if (f.upstream !== undefined) out.upstream = [...f.upstream];
  if (f.session !== undefined) out.session = [...f.session];
  if (f.text !== undefined) out.text = f.text;
  return out;
}

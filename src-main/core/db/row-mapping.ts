// Maps a RequestRecord (or a partial patch of one) to the columns of the two tables,
// and rows back to records. The writer table is keyed by every RequestRecord field,
// so adding a field to the record without deciding where it is stored fails to compile.

import type { RequestRecord, RequestSummary } from '../../common/record.js';
import { answerFromEvents } from '../recorder/answer-from-log.js';
import { encodeTimes, eventsFromLog, eventsFromStored, logFromEvents, type EventLog, type RecordPatch } from '../recorder/event-log.js';
import type { BodiesInsert, BodiesRow, RequestsInsert, RequestsRow } from './schema.js';

/** Column values (drizzle field names, TypeScript-side values) for each table. */
export interface ColumnPatch {
  main: Partial<RequestsInsert>;
  body: Partial<BodiesInsert>;
}

export const PREVIEW_CHARS = 200;

/** The first `max` characters of `text`, never cutting a surrogate pair in half. */
export function preview(text: string, max = PREVIEW_CHARS): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}

type Writers = { [K in keyof RequestRecord]-?: (value: RequestRecord[K], out: ColumnPatch) => void };

const WRITERS: Writers = {
  id: (v, o) => void (o.main.id = v),
  startedAt: (v, o) => void (o.main.startedAt = v),
  endedAt: (v, o) => void (o.main.endedAt = v),
  client: (v, o) => void (o.main.client = v),
  clientVersion: (v, o) => void (o.main.clientVersion = v),
  userAgent: (v, o) => void (o.main.userAgent = v),
  sessionId: (v, o) => void (o.main.sessionId = v),
  sessionInferred: (v, o) => void (o.main.sessionInferred = v),
  turnId: (v, o) => void (o.main.turnId = v),
  attempt: (v, o) => void (o.main.attempt = v),
  turnFingerprint: (v, o) => void (o.main.turnFingerprint = v),
  conversation: (v, o) => {
    o.main.conversationMessages = v?.messages ?? null;
    o.main.conversationTail = v?.tailHash ?? null;
    o.main.prompt = v?.prompt ?? null;
    o.main.firstPrompt = v?.firstPrompt ?? null;
  },
  credentialFingerprint: (v, o) => void (o.main.credentialFingerprint = v),
  upstream: (v, o) => void (o.main.upstream = v),
  upstreamUrl: (v, o) => void (o.main.upstreamUrl = v),
  api: (v, o) => void (o.main.api = v),
  method: (v, o) => void (o.main.method = v),
  path: (v, o) => void (o.main.path = v),
  model: (v, o) => void (o.main.model = v),
  responseModel: (v, o) => void (o.main.responseModel = v),
  stream: (v, o) => void (o.main.stream = v),
  httpStatus: (v, o) => void (o.main.httpStatus = v),
  outcome: (v, o) => void (o.main.outcome = v),
  phase: (v, o) => void (o.main.phase = v),
  stopReason: (v, o) => void (o.main.stopReason = v),
  truncated: (v, o) => void (o.main.truncated = v),
  error: (v, o) => {
    o.main.providerError = v !== null;
    o.main.errorType = v?.type ?? null;
    o.main.errorCode = v?.code ?? null;
    o.main.errorMessage = v?.message ?? null;
    o.main.retryAfterS = v?.retryAfterS ?? null;
  },
  errorMessage: (v, o) => void (o.main.proxyErrorMessage = v),
  diagnosis: (v, o) => void (o.main.diagnosis = v),
  evidence: (v, o) => void (o.main.evidence = v),
  timings: (v, o) => {
    o.main.firstByteMs = v.firstByteMs;
    o.main.ttftMs = v.ttftMs;
    o.main.lastEventMs = v.lastEventMs;
    o.main.durationMs = v.durationMs;
  },
  usage: (v, o) => {
    o.main.inputTokens = v.inputTokens;
    o.main.outputTokens = v.outputTokens;
    o.main.reasoningTokens = v.reasoningTokens;
    o.main.cachedTokens = v.cachedTokens;
    o.main.totalTokens = v.totalTokens;
    o.main.usageEstimated = v.estimated;
  },
  eventCount: (v, o) => void (o.main.eventCount = v),
  badJsonEvents: (v, o) => void (o.main.badJsonEvents = v),
  bytesIn: (v, o) => void (o.main.bytesIn = v),
  bytesOut: (v, o) => void (o.main.bytesOut = v),
  retryCount: (v, o) => void (o.main.retryCount = v),
  requestHeaders: (v, o) => void (o.body.requestHeaders = v),
  requestBody: (v, o) => {
    o.body.requestBodyText = v.text;
    o.body.requestBodyBytes = v.bytes;
    o.body.requestBodyTruncated = v.truncated;
  },
  responseHeaders: (v, o) => void (o.body.responseHeaders = v),
  responseText: (v, o) => {
    o.body.responseText = v;
    o.main.responsePreview = preview(v);
  },
  responseReasoning: (v, o) => void (o.body.responseReasoning = v),
  toolCalls: (v, o) => void (o.body.toolCalls = v),
  responseBody: (v, o) => {
    o.body.responseBodyText = v?.text ?? null;
    o.body.responseBodyBytes = v?.bytes ?? null;
    o.body.responseBodyTruncated = v?.truncated ?? null;
  },
  // Events handed over whole (a record inserted by a test or an import): stored as the
  // log they would have come from. A patch with an eventLog stores that instead.
  events: (v, o) => writeEventLog(v.length > 0 ? logFromEvents(v) : null, o),
  eventsTruncated: (v, o) => void (o.main.eventsTruncated = v),
};

/** The event log's columns: its bytes to be compressed by the writer, its times and
 * ends encoded here (a few bytes an event). No events: both null. */
function writeEventLog(log: EventLog | null, o: ColumnPatch): void {
  const some = log !== null && log.times.length > 0;
  o.body.eventLog = some ? { brotli: log.bytes } : null;
  o.body.eventTimes = some ? encodeTimes(log) : null;
}

/**
 * Columns for the fields present in `patch`. Fields set to `undefined` are treated as
 * absent (left unchanged); `id` is skipped unless `includeId` (it is the key, not data).
 */
export function toColumns(patch: RecordPatch, includeId = false): ColumnPatch {
  const out: ColumnPatch = { main: {}, body: {} };
  const log = patch.eventLog;
  for (const key of Object.keys(patch) as (keyof RequestRecord)[]) {
    const value = patch[key];
    if (value === undefined || (key === 'id' && !includeId) || (key === 'events' && log !== undefined)) continue;
    const write = WRITERS[key] as ((v: unknown, o: ColumnPatch) => void) | undefined;
    // Unknown keys (a caller passing extra properties at run time) are ignored.
    if (write) write(value, out);
  }
  if (log !== undefined) writeEventLog(log, out);
  // The answer is stored only where the event log does not hold it (answer-from-log.ts).
  if (out.body.responseText !== undefined) {
    const inLog = patch.answerInLog === true && out.body.responseReasoning !== undefined && out.body.toolCalls !== undefined;
    out.body.answerInLog = inLog;
    if (inLog) {
      out.body.responseText = '';
      out.body.responseReasoning = '';
      out.body.toolCalls = [];
    }
  }
  return out;
}

/** A copy of a record as queued (the recorder's event log laid over it) as readers get it. */
export function withEvents(rec: RequestRecord & { eventLog?: EventLog; answerInLog?: boolean }): RequestRecord {
  const { eventLog, answerInLog: _inLog, ...rest } = rec;
  if (eventLog === undefined) return rest;
  rest.events = eventsFromLog(eventLog.bytes, eventLog.times);
  return rest;
}

type SummaryBase = Omit<RequestSummary, 'responseTextPreview'>;

function summaryFields(r: RequestsRow): SummaryBase {
  return {
    id: r.id,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    client: r.client,
    clientVersion: r.clientVersion,
    userAgent: r.userAgent,
    sessionId: r.sessionId,
    sessionInferred: r.sessionInferred,
    // Rows written before turns existed were backfilled; a row is its own turn otherwise.
    turnId: r.turnId ?? r.id,
    attempt: r.attempt,
    turnFingerprint: r.turnFingerprint,
    conversation:
      r.conversationTail !== null
        ? { messages: r.conversationMessages ?? 0, tailHash: r.conversationTail, prompt: r.prompt, firstPrompt: r.firstPrompt }
        : null,
    credentialFingerprint: r.credentialFingerprint,
    upstream: r.upstream,
    upstreamUrl: r.upstreamUrl,
    api: r.api,
    method: r.method,
    path: r.path,
    model: r.model,
    responseModel: r.responseModel,
    stream: r.stream,
    httpStatus: r.httpStatus,
    outcome: r.outcome,
    phase: r.phase,
    stopReason: r.stopReason,
    truncated: r.truncated,
    error: r.providerError
      ? { type: r.errorType, code: r.errorCode, message: r.errorMessage, retryAfterS: r.retryAfterS }
      : null,
    errorMessage: r.proxyErrorMessage,
    diagnosis: r.diagnosis,
    evidence: r.evidence,
    timings: {
      firstByteMs: r.firstByteMs,
      ttftMs: r.ttftMs,
      lastEventMs: r.lastEventMs,
      durationMs: r.durationMs,
    },
    usage: {
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      reasoningTokens: r.reasoningTokens,
      cachedTokens: r.cachedTokens,
      totalTokens: r.totalTokens,
      estimated: r.usageEstimated,
    },
    eventCount: r.eventCount,
    badJsonEvents: r.badJsonEvents,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    retryCount: r.retryCount,
    eventsTruncated: r.eventsTruncated,
  };
}

export function rowToSummary(r: RequestsRow): RequestSummary {
  return { ...summaryFields(r), responseTextPreview: r.responsePreview };
}

/** A full record; `b` is null only if the bodies row is missing (never written by this store). */
export function rowToRecord(r: RequestsRow, b: BodiesRow | null): RequestRecord {
  const events = b ? eventsFromStored(asStored(b.eventLog), asStored(b.eventTimes)) : [];
  const answer = b?.answerInLog ? answerFromEvents(r.api, events) : null;
  return {
    ...summaryFields(r),
    requestHeaders: b?.requestHeaders ?? {},
    requestBody: {
      text: b?.requestBodyText ?? '',
      bytes: b?.requestBodyBytes ?? 0,
      truncated: b?.requestBodyTruncated ?? false,
    },
    responseHeaders: b?.responseHeaders ?? {},
    responseText: answer?.responseText ?? b?.responseText ?? r.responsePreview,
    responseReasoning: answer?.responseReasoning ?? b?.responseReasoning ?? '',
    toolCalls: answer?.toolCalls ?? b?.toolCalls ?? [],
    responseBody:
      b && b.responseBodyText !== null
        ? { text: b.responseBodyText, bytes: b.responseBodyBytes ?? 0, truncated: b.responseBodyTruncated ?? false }
        : null,
    events,
  };
}

/** What a read gives for an event-log column (a BrotliArg is only ever written). */
function asStored(v: BodiesRow['eventLog']): Uint8Array | string | null {
  return v === null || typeof v === 'string' || v instanceof Uint8Array ? v : null;
}

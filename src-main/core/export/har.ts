// HAR 1.2 entries (http://www.softwareishard.com/blog/har-12-spec/), for opening
// Streamtap's records in browser devtools, Charles, Fiddler or any HAR viewer.
// Each entry is the request as forwarded upstream (`upstreamUrl`) with its redacted
// headers and body, and the provider's response. A streamed answer has no single body in
// a record, so `response.content.text` holds the reassembled answer text (mimeType
// text/plain, with a comment saying so); the raw events go into the entry's custom
// `_streamtap.events` when exported with events. Outcome, diagnosis and usage — the
// things HAR has no field for — are in the custom `_streamtap` field (HAR allows
// custom fields that start with an underscore). The streaming document writer is
// writeHarExport in writers.ts, next to the JSON writers it shares its loop with.

import { STATUS_CODES } from 'node:http';
import type { RequestRecord } from '../../common/record.js';
import {
  toExportRecord,
  type ExportEvent,
  type ExportEvidence,
  type ExportProviderError,
  type ExportRecord,
  type ExportToolCall,
  type ExportUsage,
  type ToExportOptions,
} from './record-export.js';

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarStreamtap {
  id: string;
  sessionId: string | null;
  sessionInferred: boolean;
  turnId: string;
  attempt: number;
  client: string | null;
  upstream: string;
  api: ExportRecord['api'];
  model: string | null;
  responseModel: string | null;
  stream: boolean;
  outcome: ExportRecord['outcome'];
  phase: ExportRecord['phase'];
  truncated: boolean;
  stopReason: string | null;
  diagnosis: string;
  error: ExportProviderError | null;
  proxyError: string | null;
  evidence: ExportEvidence;
  ttftMs: number | null;
  usage: ExportUsage;
  reasoning: string;
  toolCalls: ExportToolCall[];
  events?: ExportEvent[];
  eventsTruncated: boolean;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: { mimeType: string; text: string; comment?: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    content: { size: number; mimeType: string; text: string; comment?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; connect: number; ssl: number; send: number; wait: number; receive: number };
  _streamtap: HarStreamtap;
}

function nameValues(headers: Record<string, string>): HarNameValue[] {
  return Object.entries(headers).map(([name, value]) => ({ name, value }));
}

function queryString(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return []; // not an absolute URL (should not happen): HAR still wants the array
  }
}

/** One HAR entry for one record. Headers, URL and query come from the export mapping, so
 * they get the same defence-in-depth redaction as the JSON export. */
export function toHarEntry(r: RequestRecord, opts: ToExportOptions = {}): HarEntry {
  const x = toExportRecord(r, opts);

  // HAR's timings must be non-negative and `time` must be their sum. Without a first
  // byte the whole duration was spent waiting; an in-flight record has only what it has.
  const wait = x.firstByteMs ?? x.durationMs ?? 0;
  const receive = x.firstByteMs !== null && x.durationMs !== null ? Math.max(0, x.durationMs - x.firstByteMs) : 0;
  const timings = { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait, receive };

  const reqType = x.request.headers['content-type'];
  const postData =
    x.request.bodyFormat === 'none'
      ? undefined
      : {
          mimeType: reqType ?? (x.request.bodyFormat === 'json' ? 'application/json' : 'text/plain'),
          text: r.requestBody.text,
          ...(r.requestBody.truncated ? { comment: `Cut at the capture limit; the body was ${r.requestBody.bytes} bytes.` } : {}),
        };

  const status = x.httpStatus ?? 0;
  const resType = x.response.headers['content-type'];
  let content: HarEntry['response']['content'];
  if (x.response.body !== null) {
    content = {
      size: x.response.bodyBytes ?? Buffer.byteLength(x.response.body),
      mimeType: resType ?? 'application/octet-stream',
      text: x.response.body,
      ...(x.response.bodyTruncated ? { comment: 'Cut at the capture limit.' } : {}),
    };
  } else if (x.stream) {
    content = {
      size: Buffer.byteLength(x.response.text),
      mimeType: 'text/plain; charset=utf-8',
      text: x.response.text,
      comment: `Answer text reassembled from the event stream (${resType ?? 'text/event-stream'}); the raw events are in _streamtap.events when exported with events.`,
    };
  } else {
    content = { size: 0, mimeType: resType ?? 'x-unknown', text: '' };
  }

  return {
    startedDateTime: x.startedAt,
    time: timings.send + timings.wait + timings.receive,
    request: {
      method: x.method,
      url: x.upstreamUrl,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: nameValues(x.request.headers),
      queryString: queryString(x.upstreamUrl),
      ...(postData ? { postData } : {}),
      headersSize: -1,
      bodySize: x.bytesIn,
    },
    response: {
      status,
      statusText: status ? (STATUS_CODES[status] ?? '') : '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: nameValues(x.response.headers),
      content,
      redirectURL: x.response.headers['location'] ?? '',
      headersSize: -1,
      // bytes on the wire (possibly compressed); -1 = unknown, as HAR asks, before any arrived
      bodySize: x.httpStatus === null ? -1 : x.bytesOut,
    },
    cache: {},
    timings,
    _streamtap: {
      id: x.id,
      sessionId: x.sessionId,
      sessionInferred: x.sessionInferred,
      turnId: x.turnId,
      attempt: x.attempt,
      client: x.client,
      upstream: x.upstream,
      api: x.api,
      model: x.model,
      responseModel: x.responseModel,
      stream: x.stream,
      outcome: x.outcome,
      phase: x.phase,
      truncated: x.truncated,
      stopReason: x.stopReason,
      diagnosis: x.diagnosis,
      error: x.error,
      proxyError: x.proxyError,
      evidence: x.evidence,
      ttftMs: x.ttftMs,
      usage: x.usage,
      reasoning: x.response.reasoning,
      toolCalls: x.response.toolCalls,
      ...(x.events ? { events: x.events } : {}),
      eventsTruncated: x.eventsTruncated,
    },
  };
}

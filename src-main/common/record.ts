// Domain types shared by every process: the core, the Electron shell, the headless
// server and the renderer. No node:* and no electron imports here (lint enforces it),
// so the renderer can import these types as they are.

import { z } from 'zod';
import { matchesSearch, type SearchFields } from './text-search.js';

/** Outcome names exactly as in DESIGN.md. `truncated` is not an outcome: it is
 * `completed` with a length stop reason, flagged by `RequestRecord.truncated`. */
export const OUTCOMES = [
  'in_progress',
  'completed',
  'client_aborted',
  'upstream_error',
  'upstream_disconnected',
  'upstream_unreachable',
  'timeout',
  'interrupted',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Where in the exchange the outcome was decided. */
export const PHASES = [
  'request_body', // the client had not finished sending its request body
  'before_response', // no response headers from upstream yet
  'before_first_chunk', // headers received, no body byte yet
  'mid_stream', // at least one body chunk forwarded
  'after_terminal', // the answer was complete (terminal event or final usage seen)
  'complete', // normal completion
] as const;
export type Phase = (typeof PHASES)[number];

export const API_KINDS = ['chat.completions', 'responses', 'messages', 'embeddings', 'other'] as const;
export type ApiKind = (typeof API_KINDS)[number];

/** Which side ended the exchange, as far as the proxy could observe. */
export type CloseSide = 'client' | 'upstream' | 'proxy' | 'none';

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  cachedTokens: number | null;
  totalTokens: number | null;
  /** true when outputTokens was counted by Streamtap's tokenizer, not reported by the provider */
  estimated: boolean;
}

export interface ToolCall {
  id: string | null;
  name: string | null;
  /** arguments as streamed (JSON text, possibly incomplete for aborted streams) */
  arguments: string;
}

export interface ProviderError {
  /** e.g. rate_limit_error, overloaded_error, invalid_request_error, insufficient_quota */
  type: string | null;
  code: string | null;
  message: string | null;
  /** seconds, from the retry-after header (or retry-after-ms / 1000) */
  retryAfterS: number | null;
}

export interface Evidence {
  closeSide: CloseSide;
  /** low-level error code: ECONNRESET, EPIPE, ECONNREFUSED, ENOTFOUND, UND_ERR_HEADERS_TIMEOUT… */
  errorCode: string | null;
  eventsSeen: number;
  lastEvent: string | null;
  terminalEventSeen: boolean;
  usageSeen: boolean;
  /** bytes of response body forwarded to the client */
  bytesToClient: number;
}

export interface Timings {
  /** ms from arrival to the first response byte from upstream (headers) */
  firstByteMs: number | null;
  /** ms from arrival to the first content or reasoning delta forwarded (TTFT) */
  ttftMs: number | null;
  /** ms from arrival to the last SSE event */
  lastEventMs: number | null;
  durationMs: number | null;
}

/** One raw SSE event (or one non-stream body) as received, with its time offset from
 * the request's arrival. Stored compactly and capped. */
export interface RawEvent {
  t: number;
  event: string | null;
  data: string;
}

/**
 * Arrival times and names of a live stream's events `from` … `from + t.length - 1`
 * (indexes into its event list): what the dashboard draws while a request streams,
 * without the event bodies. Pushed incrementally with progress changes.
 */
export interface EventTicks {
  from: number;
  /** ms from the request's arrival, one per event */
  t: number[];
  /** the SSE `event:` name, null for an unnamed event */
  name: (string | null)[];
}

export interface CapturedBody {
  /** decoded text (UTF-8), possibly cut at the capture limit */
  text: string;
  /** total size in bytes, even when `text` was cut */
  bytes: number;
  truncated: boolean;
}

/** What Streamtap read from a request's conversation (messages, or Responses input
 * items) to place it in its session and its turn (core/sessions/conversation.ts). */
export interface ConversationFacts {
  /** how many messages (or input items) the request carried */
  messages: number;
  /** hash of the last message: a later request holding the same message at the same
   * place continues this conversation */
  tailHash: string;
  /** the latest prompt the user typed (not the system prompt, not injected reminders,
   * not tool results), whitespace collapsed and cut to PROMPT_CHARS */
  prompt: string | null;
  /** the first prompt the user typed in this conversation */
  firstPrompt: string | null;
}

/** Prompts are kept to this many characters: enough to recognise a turn by. */
export const PROMPT_CHARS = 300;

/** The full record of one proxied request. This is what the store holds, what the
 * dashboard shows and (after mapping) what exports carry. */
export interface RequestRecord {
  id: string;
  startedAt: number; // epoch ms
  endedAt: number | null;
  client: string | null; // "Claude Code 2.0.14"
  clientVersion: string | null;
  userAgent: string | null;
  /** the agent session: the id the tool sent in a header, or one Streamtap inferred
   * (`inferred:<id of the session's first request>`) when the tool sent none */
  sessionId: string | null;
  /** true when sessionId was inferred (by client, credential, conversation continuity and time gap) */
  sessionInferred: boolean;
  /** the turn (one logical request of the tool) this request is an attempt of: the id of
   * the turn's first attempt, so the first attempt's own id */
  turnId: string;
  /** 1-based: which try of its turn this request was (SDK retries, Codex reconnects,
   * Claude Code's non-streaming retry) */
  attempt: number;
  /** hash of what makes the turn (model, system prompt, messages or input, tools; not the
   * stream flag or per-attempt settings); null until the request body was read */
  turnFingerprint: string | null;
  conversation: ConversationFacts | null;
  /** a hash of the credential (never the credential), used to group sessions */
  credentialFingerprint: string | null;
  upstream: string; // upstream name
  upstreamUrl: string; // full URL the request was sent to (query redacted)
  api: ApiKind;
  method: string;
  path: string; // path + query as the client sent it (credentials in the query redacted)
  model: string | null; // requested model
  responseModel: string | null;
  stream: boolean;
  httpStatus: number | null;
  outcome: Outcome;
  phase: Phase | null;
  stopReason: string | null;
  truncated: boolean; // completed with stop reason length / max_tokens
  error: ProviderError | null;
  errorMessage: string | null; // Streamtap's own error text (network, timeout)
  diagnosis: string;
  evidence: Evidence;
  timings: Timings;
  usage: Usage;
  eventCount: number;
  badJsonEvents: number;
  bytesIn: number; // request body bytes from the client
  bytesOut: number; // response body bytes from upstream (on the wire)
  retryCount: number | null; // x-stainless-retry-count
  requestHeaders: Record<string, string>;
  requestBody: CapturedBody;
  responseHeaders: Record<string, string>;
  responseText: string;
  responseReasoning: string;
  toolCalls: ToolCall[];
  /** the raw body of a non-stream response (decoded), capped */
  responseBody: CapturedBody | null;
  events: RawEvent[];
  eventsTruncated: boolean;
}

/** What the timeline needs for one row: the record without its heavy parts. */
export type RequestSummary = Omit<
  RequestRecord,
  | 'requestHeaders'
  | 'requestBody'
  | 'responseHeaders'
  | 'responseBody'
  | 'events'
  | 'responseReasoning'
  | 'toolCalls'
  | 'responseText'
> & { responseTextPreview: string };

export function emptyUsage(): Usage {
  return {
    inputTokens: null,
    outputTokens: null,
    reasoningTokens: null,
    cachedTokens: null,
    totalTokens: null,
    estimated: false,
  };
}

export function emptyEvidence(): Evidence {
  return {
    closeSide: 'none',
    errorCode: null,
    eventsSeen: 0,
    lastEvent: null,
    terminalEventSeen: false,
    usageSeen: false,
    bytesToClient: 0,
  };
}

/** A filter's list of values (models, clients, …): bounded so a request cannot make the
 * store build an unbounded query. */
export const FILTER_VALUES = z.array(z.string().max(500)).max(200);

/** Filters understood by the store, the exporters, the CLI and the dashboard: the one
 * definition, validated at every door (IPC, HTTP, CLI flags) and typed from it.
 * - `since`/`until`: epoch ms, inclusive/exclusive.
 * - `truncated` (completed, stopped by length) is picked like an outcome: alone it
 *   selects truncated records only; with `outcome` it adds them (outcome in list OR
 *   truncated); false excludes them.
 * - `text`: words searched in prompts, answers, reasoning, tool calls, errors and models
 *   (common/text-search.ts says how). */
export const RecordFilterSchema = z
  .object({
    since: z.number().finite().optional(),
    until: z.number().finite().optional(),
    outcome: z.array(z.enum(OUTCOMES)).max(OUTCOMES.length).optional(),
    truncated: z.boolean().optional(),
    model: FILTER_VALUES.optional(),
    client: FILTER_VALUES.optional(),
    upstream: FILTER_VALUES.optional(),
    session: FILTER_VALUES.optional(),
    text: z.string().max(1000).optional(),
  })
  .strict();
export type RecordFilter = z.infer<typeof RecordFilterSchema>;

/** What the filter looks at in a record: its summary fields, and the answer's parts when
 * known (a full record has them; a timeline summary does not). */
export type FilterSubject = Pick<
  RequestSummary,
  'startedAt' | 'outcome' | 'truncated' | 'model' | 'responseModel' | 'client' | 'upstream' | 'sessionId' | 'conversation' | 'error' | 'errorMessage'
> &
  Partial<Pick<RequestRecord, 'responseText' | 'responseReasoning' | 'toolCalls'>>;

/** A record's searched text, as request_search holds it (core/db/write-statements.ts
 * writes the same columns from the stored row); undefined where the subject lacks it. */
export function searchFieldsOf(r: FilterSubject): Partial<SearchFields> {
  return {
    prompt: r.conversation?.prompt ?? null,
    models: [r.model, r.responseModel].filter((m) => m !== null).join(' '),
    errors: [r.error?.message ?? null, r.errorMessage].filter((m) => m !== null).join(' '),
    ...(r.responseText !== undefined ? { answer: r.responseText } : {}),
    ...(r.responseReasoning !== undefined ? { reasoning: r.responseReasoning } : {}),
    ...(r.toolCalls !== undefined ? { tools: r.toolCalls.map((t) => `${t.name ?? ''} ${t.arguments}`).join(' ') } : {}),
  };
}

/**
 * The filter rule, once: does this record pass? The store compiles the same rule to SQL
 * (core/db/filter-sql.ts) and one table-driven test runs every case through both. Empty
 * lists and an empty text mean "no constraint", like an unset field. The text search is
 * common/text-search.ts's rule; on a summary it may answer 'unknown' (the answer is not
 * in a summary), and the live view asks the store then.
 */
export function matchesRecordFilter(r: FilterSubject, f: RecordFilter): boolean | 'unknown' {
  if (f.since !== undefined && r.startedAt < f.since) return false;
  if (f.until !== undefined && r.startedAt >= f.until) return false;
  const isTruncated = r.outcome === 'completed' && r.truncated;
  if (f.outcome?.length && f.truncated === true) {
    if (!f.outcome.includes(r.outcome) && !isTruncated) return false;
  } else {
    if (f.outcome?.length && !f.outcome.includes(r.outcome)) return false;
    if (f.truncated !== undefined && isTruncated !== f.truncated) return false;
  }
  if (f.model?.length && (r.model === null || !f.model.includes(r.model))) return false;
  if (f.client?.length && (r.client === null || !f.client.includes(r.client))) return false;
  if (f.upstream?.length && !f.upstream.includes(r.upstream)) return false;
  if (f.session?.length && (r.sessionId === null || !f.session.includes(r.sessionId))) return false;
  if (f.text) return matchesSearch(f.text, searchFieldsOf(r), r.outcome === 'in_progress');
  return true;
}

const PREVIEW_CHARS = 200;

/** The timeline's view of a record (drops the heavy parts). */
export function summarize(r: RequestRecord): RequestSummary {
  const {
    requestHeaders: _rh,
    requestBody: _rb,
    responseHeaders: _sh,
    responseBody: _sb,
    events: _ev,
    responseReasoning: _rr,
    toolCalls: _tc,
    responseText: _rt,
    ...rest
  } = r;
  return { ...rest, responseTextPreview: r.responseText.slice(0, PREVIEW_CHARS) };
}

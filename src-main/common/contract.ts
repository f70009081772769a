// The one contract between the UI and the core. Every channel (dotted names) is listed
// here with its argument validator and result type; the preload bridge, the Electron
// IPC handlers and the headless HTTP API are all built from CHANNELS, so an unlisted
// channel is unreachable and a missing handler does not compile. Shared by all three
// processes: no node:* and no electron imports.

import { z } from 'zod';
import { firstLine } from './errors.js';
import { SettingsSchema, type Settings } from './settings.js';
import { API_KINDS, OUTCOMES, RecordFilterSchema, type ApiKind, type EventTicks, type Outcome, type ProviderError, type RequestRecord, type RequestSummary, type Usage } from './record.js';



/** How an agent session ended (DESIGN.md, "Sessions, turns and attempts"): an outcome
 * of its last attempt, or what the attempts of its last turn add up to. */
export const SESSION_ENDINGS = [
  'completed',
  'in_progress',
  'gave_up_after_retries',
  'rate_limited',
  'context_exhausted',
  'client_aborted',
  'upstream_error',
  'upstream_disconnected',
  'upstream_unreachable',
  'timeout',
  'truncated',
  'interrupted',
] as const;
export type SessionEndingKind = (typeof SESSION_ENDINGS)[number];

/** Sessions that had a request matching the record filter (any of their requests), and
 * whose ending is one of `ending`. */
export const SessionFilterSchema = RecordFilterSchema.extend({
  ending: z.array(z.enum(SESSION_ENDINGS)).max(SESSION_ENDINGS.length).optional(),
}).strict();
export type SessionFilter = z.infer<typeof SessionFilterSchema>;

const cursor = z.object({ startedAt: z.number(), id: z.string().max(100) }).strict();

/** The export formats, once: what the Export buttons, the save dialog, the download
 * and the CLI call them, their file extension and media type. */
export const EXPORT_FORMATS = {
  json: { label: 'JSON', name: 'JSON', title: 'One JSON document with every matching record', ext: 'json', mediaType: 'application/json; charset=utf-8' },
  jsonl: { label: 'JSONL', name: 'JSON Lines', title: 'JSON Lines: one record per line, for large sets', ext: 'jsonl', mediaType: 'application/x-ndjson; charset=utf-8' },
  har: { label: 'HAR', name: 'HAR', title: 'HTTP Archive, for browser dev tools and HAR viewers', ext: 'har', mediaType: 'application/json; charset=utf-8' },
} as const;
export const ExportFormatSchema = z.enum(Object.keys(EXPORT_FORMATS) as [keyof typeof EXPORT_FORMATS, ...(keyof typeof EXPORT_FORMATS)[]]);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;
export const EXPORT_FORMAT_NAMES = ExportFormatSchema.options;

/** "streamtap-2025-01-31-1405.json" in local time: sortable, valid on every file system,
 * the same for a saved file and a download. */
export function exportFileName(format: ExportFormat, now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
  return `streamtap-${stamp}.${EXPORT_FORMATS[format].ext}`;
}


export interface RequestStats {
  requests: number;
  byOutcome: Record<Outcome, number>;
  truncated: number;
  inputTokens: number;
  outputTokens: number;
  medianTtftMs: number | null;
}

/** Requests over time for a filter: counts per equal bucket from `from` (epoch ms). */
export interface Histogram {
  from: number;
  bucketMs: number;
  requests: number[];
  /** cut off or failed: every outcome but completed and in_progress, plus truncated */
  failed: number[];
}

export interface SessionEnding {
  kind: SessionEndingKind;
  /** one sentence in the session's terms ("Codex gave up after 6 attempts in 6.3 s: …") */
  diagnosis: string;
  /** the request that decided it: the last attempt of the last turn */
  recordId: string | null;
}

export interface SessionSummary {
  sessionId: string;
  /** true when Streamtap inferred the session (the tool sent no session header) */
  inferred: boolean;
  /** client of the session's latest request */
  client: string | null;
  /** the first prompt the user typed (not the system prompt, not injected reminders) */
  title: string | null;
  startedAt: number;
  /** last activity: the latest end (or start, for a request still in flight) */
  endedAt: number | null;
  requests: number;
  turnCount: number;
  /** summed over the session's requests; a count is null when no request reported it */
  usage: Usage;
  /** at the model catalog's prices; null when no request could be priced */
  costUsd: number | null;
  ending: SessionEnding;
  /** the latest request (which need not be the one that decided the ending) */
  lastOutcome: Outcome | null;
  lastTruncated: boolean;
  lastDiagnosis: string | null;
  lastRequestId: string | null;
}

/** One try of a turn. */
export interface TurnAttempt {
  recordId: string;
  /** 1-based */
  attempt: number;
  startedAt: number;
  endedAt: number | null;
  outcome: Outcome;
  truncated: boolean;
  stream: boolean;
  httpStatus: number | null;
  ttftMs: number | null;
  durationMs: number | null;
  eventCount: number;
  error: ProviderError | null;
  /** the record's own diagnosis: why this attempt failed, or how it completed */
  diagnosis: string;
}

/** A turn's input against the model's context window. */
export interface TurnContext {
  /** input tokens of the turn (cached ones included) */
  inputTokens: number | null;
  /** true when counted by Streamtap's tokenizer from the request body, because no attempt reported usage */
  estimated: boolean;
  /** the model's context window, from the provider's refusal when it named it, else the model catalog */
  window: number | null;
  /** inputTokens / window */
  fraction: number | null;
  /** at 90 % of the window or more */
  nearLimit: boolean;
  /** the provider refused the turn because it did not fit the context window */
  refused: boolean;
}

/** One logical request of the tool, with the attempts that carried it. */
export interface SessionTurn {
  /** the turn id: its first attempt's record id */
  id: string;
  /** 1-based, in the order the turns started */
  index: number;
  startedAt: number;
  endedAt: number | null;
  api: ApiKind;
  model: string | null;
  /** the latest prompt the user had typed when the turn was sent */
  prompt: string | null;
  attempts: TurnAttempt[];
  context: TurnContext;
  usage: Usage;
  costUsd: number | null;
}

export interface SessionDetail extends SessionSummary {
  turns: SessionTurn[];
  /** the session has more requests than one read returns; the oldest turns are left out */
  turnsTruncated: boolean;
}

/** A record's turn: every attempt of it, the record's own included, in order. */
export interface TurnAttempts {
  turnId: string;
  attempts: TurnAttempt[];
}

export interface Facets {
  models: string[];
  clients: string[];
  upstreams: string[];
  sessions: string[];
}

export interface AppStatus {
  listening: boolean;
  port: number | null;
  baseUrl: string | null;
  paused: boolean;
  live: number;
  requestsToday: number;
  storeDegraded: boolean;
  storeError: string | null;
  queuedWrites: number;
  /** writes given up on while recording was degraded (the queue was full) */
  droppedWrites: number;
  /** a problem the user must see (port in use, store degraded), else null */
  problem: string | null;
  dbPath: string;
  /** bytes the database takes on disk (the file and its WAL) */
  dbBytes: number;
  runtime: 'electron' | 'headless';
}

export interface SetupInfo {
  baseUrl: string;
  upstreams: Record<string, string>;
  /** client names seen so far (e.g. "Claude Code", "Codex"), with the last time seen */
  clientsSeen: { client: string; lastSeen: number }[];
}

export type ExportResult = { status: 'saved'; count: number; path: string } | { status: 'canceled' } | { status: 'downloaded'; count: number | null };

/** One record change on `live.events`; a live stream's progress carries the event
 * arrivals since its previous push (`ticks`), never the event bodies. `seq` is the
 * sequence number of the latest core change merged into it. */
export interface LiveRecordChange {
  kind: 'started' | 'progress' | 'finished';
  summary: RequestSummary;
  ticks?: EventTicks;
  seq: number;
}

/** What is pushed on `live.events`, already coalesced by the core side. Every change
 * the core emits takes the next sequence number; a `records` or `status` event carries
 * the latest one it reflects, and requests.list answers with the one its page reflects,
 * so the page applies a change exactly once: a change with seq ≤ the list's is in the
 * list already. (`export.progress` comes from the transport's export, not the core.) */
export type LiveEvent =
  | { type: 'records'; seq: number; changes: LiveRecordChange[] }
  | { type: 'status'; seq: number; status: AppStatus }
  | { type: 'export.progress'; exportId: string; written: number; done: boolean };

/** A page of requests.list, and the live sequence number it reflects. */
export interface RequestPage {
  seq: number;
  records: RequestSummary[];
}

/** Every error code an API call can answer with. */
export const API_ERROR_CODES = ['invalid_payload', 'forbidden', 'not_found', 'internal', 'unknown_channel', 'invalid_settings'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];
/** The codes a handler may throw (ApiModelError) and dispatch() passes through; any other
 * failure is 'internal'. The rest are the doors' own (validation, routing). */
export const HANDLER_ERROR_CODES = ['invalid_settings', 'not_found', 'forbidden'] as const satisfies readonly ApiErrorCode[];
export type HandlerErrorCode = (typeof HANDLER_ERROR_CODES)[number];

export function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === 'string' && (API_ERROR_CODES as readonly string[]).includes(code);
}

export interface ApiError {
  code: ApiErrorCode;
  message: string;
}

// ---- the channel table --------------------------------------------------------------

function channel<A extends z.ZodType, R>(args: A) {
  return { args, result: undefined as unknown as R };
}

export const CHANNELS = {
  'requests.list': channel<
    z.ZodObject<{ filter: typeof RecordFilterSchema; limit: z.ZodNumber; before: z.ZodOptional<typeof cursor> }>,
    RequestPage
  >(z.object({ filter: RecordFilterSchema, limit: z.number().int().min(1).max(1000), before: cursor.optional() }).strict()),
  'requests.get': channel<z.ZodObject<{ id: z.ZodString }>, RequestRecord | null>(z.object({ id: z.string().min(1).max(100) }).strict()),
  'requests.stats': channel<z.ZodObject<{ filter: typeof RecordFilterSchema }>, RequestStats>(z.object({ filter: RecordFilterSchema }).strict()),
  'requests.histogram': channel<z.ZodObject<{ filter: typeof RecordFilterSchema; buckets: z.ZodNumber }>, Histogram>(
    z.object({ filter: RecordFilterSchema, buckets: z.number().int().min(1).max(500) }).strict(),
  ),
  'requests.facets': channel<z.ZodObject<Record<string, never>>, Facets>(z.object({}).strict()),
  'requests.attempts': channel<z.ZodObject<{ id: z.ZodString }>, TurnAttempts | null>(z.object({ id: z.string().min(1).max(100) }).strict()),
  'sessions.list': channel<z.ZodObject<{ filter: typeof SessionFilterSchema; limit: z.ZodNumber }>, SessionSummary[]>(
    z.object({ filter: SessionFilterSchema, limit: z.number().int().min(1).max(1000) }).strict(),
  ),
  'sessions.get': channel<z.ZodObject<{ id: z.ZodString }>, SessionDetail | null>(z.object({ id: z.string().min(1).max(300) }).strict()),
  'export.run': channel<z.ZodObject<{ filter: typeof RecordFilterSchema; format: typeof ExportFormatSchema; exportId: z.ZodString }>, ExportResult>(
    z.object({ filter: RecordFilterSchema, format: ExportFormatSchema, exportId: z.string().min(1).max(64) }).strict(),
  ),
  'status.get': channel<z.ZodObject<Record<string, never>>, AppStatus>(z.object({}).strict()),
  'recording.setPaused': channel<z.ZodObject<{ paused: z.ZodBoolean }>, AppStatus>(z.object({ paused: z.boolean() }).strict()),
  'settings.get': channel<z.ZodObject<Record<string, never>>, Settings>(z.object({}).strict()),
  'settings.set': channel<typeof SettingsSchema, Settings>(SettingsSchema),
  'setup.info': channel<z.ZodObject<Record<string, never>>, SetupInfo>(z.object({}).strict()),
} as const;

export type ChannelName = keyof typeof CHANNELS;
export type ChannelArgs<C extends ChannelName> = z.infer<(typeof CHANNELS)[C]['args']>;
export type ChannelResult<C extends ChannelName> = (typeof CHANNELS)[C]['result'];
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];

/** The push channel (main -> renderer / server -> browser). */
export const LIVE_CHANNEL = 'live.events';

/** One implementation per transport must provide every channel. */
export type Handlers = { [C in ChannelName]: (args: ChannelArgs<C>) => Promise<ChannelResult<C>> | ChannelResult<C> };

/** What the renderer calls, whatever the transport (IPC or HTTP). */
export type StreamtapApi = {
  call<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>>;
  /** returns the unsubscribe function */
  subscribe(listener: (event: LiveEvent) => void): () => void;
};

export type Validated<C extends ChannelName> = { ok: true; value: ChannelArgs<C> } | { ok: false; error: ApiError };

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(CHANNELS, name);
}

export function validateArgs<C extends ChannelName>(name: C, args: unknown): Validated<C> {
  const result = CHANNELS[name].args.safeParse(args);
  if (result.success) return { ok: true, value: result.data as ChannelArgs<C> };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'payload';
  return { ok: false, error: { code: 'invalid_payload', message: `${name}: ${where}: ${issue?.message ?? 'invalid'}` } };
}

/** Runs a handler behind validation; errors come back as { code, message }, never a stack. */
export async function dispatch(
  handlers: Handlers,
  name: unknown,
  args: unknown,
): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiError }> {
  if (!isChannelName(name)) return { ok: false, error: { code: 'unknown_channel', message: `unknown channel ${String(name)}` } };
  const v = validateArgs(name, args);
  if (!v.ok) return v;
  try {
    const handler = handlers[name] as (a: unknown) => unknown;
    return { ok: true, result: await handler(v.value) };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code: ApiErrorCode = typeof e.code === 'string' && (HANDLER_ERROR_CODES as readonly string[]).includes(e.code) ? (e.code as HandlerErrorCode) : 'internal';
    return { ok: false, error: { code, message: typeof e.message === 'string' ? firstLine(e.message, 1000) : 'internal error' } };
  }
}

export { API_KINDS, OUTCOMES };

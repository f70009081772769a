// The SQLite schema, in drizzle-orm's sqlite-core. `npx drizzle-kit generate` turns a
// change here into a new SQL migration under ./migrations (see drizzle.config.ts);
// the store applies pending migrations when it opens the file.
//
// A record is split over two tables on purpose. `requests` holds every scalar the
// timeline filters, sorts, counts and shows, so its rows stay small (a few hundred
// bytes) and many fit on one page: listing, counting and summarising 100k records
// reads a few MB. `request_bodies` holds the heavy parts (headers, bodies, the
// reassembled answer, the raw event log — up to the capture caps, often tens of KB),
// which only the detail view, exports and text search read. Were they in one table,
// each row would spill over its own page(s) and every timeline scan would read them.
//
// Only the first 200 characters of the answer live in `requests` (response_preview),
// for the same reason; the full text is in `request_bodies.response_text`.
//
// Column names are snake_case and explicit, so the SQL stays readable and stable if a
// TypeScript field is renamed. This module imports types only: drizzle-kit loads it
// on its own, outside the project's module resolution.

import { sql } from 'drizzle-orm';
import { blob, customType, index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type {
  ApiKind,
  Evidence,
  Outcome,
  Phase,
  ToolCall,
} from '../../common/record.js';
import type { BrotliArg } from './writer-protocol.js';

/** A BLOB column whose rows may also hold TEXT (rows converted by migration
 * 0003_event_log): values pass through untouched, so the reader sees the storage class
 * (Buffer or string). Written as a BrotliArg, compressed by the writer. */
const eventLogBlob = customType<{ data: Uint8Array | string | BrotliArg; driverData: unknown }>({
  dataType: () => 'blob',
  toDriver: (v) => v,
  fromDriver: (v) => v as Uint8Array | string,
});

export const requests = sqliteTable(
  'requests',
  {
    id: text('id').primaryKey(),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
    client: text('client'),
    clientVersion: text('client_version'),
    userAgent: text('user_agent'),
    sessionId: text('session_id'),
    // Added with sessions and turns (migration 0001). session_id then holds inferred
    // session ids too; session_inferred tells them apart. turn_id is null only in rows a
    // migration has not backfilled (never after 0002).
    sessionInferred: integer('session_inferred', { mode: 'boolean' }).notNull().default(false),
    turnId: text('turn_id'),
    attempt: integer('attempt').notNull().default(1),
    turnFingerprint: text('turn_fingerprint'),
    // ConversationFacts, flattened; conversation_tail null = no conversation
    conversationMessages: integer('conversation_messages'),
    conversationTail: text('conversation_tail'),
    prompt: text('prompt'),
    firstPrompt: text('first_prompt'),
    credentialFingerprint: text('credential_fingerprint'),
    upstream: text('upstream').notNull(),
    upstreamUrl: text('upstream_url').notNull(),
    api: text('api').$type<ApiKind>().notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    model: text('model'),
    responseModel: text('response_model'),
    stream: integer('stream', { mode: 'boolean' }).notNull(),
    httpStatus: integer('http_status'),
    outcome: text('outcome').$type<Outcome>().notNull(),
    phase: text('phase').$type<Phase>(),
    stopReason: text('stop_reason'),
    truncated: integer('truncated', { mode: 'boolean' }).notNull().default(false),
    // ProviderError is flattened into error_* columns so they can be filtered and
    // grouped; this flag keeps `error: null` distinct from an error whose fields
    // could not be parsed (all null).
    providerError: integer('provider_error', { mode: 'boolean' }).notNull().default(false),
    errorType: text('error_type'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    // seconds; fractional when the provider sent retry-after-ms
    retryAfterS: real('retry_after_s'),
    // RequestRecord.errorMessage: Streamtap's own error text (network, timeout)
    proxyErrorMessage: text('proxy_error_message'),
    diagnosis: text('diagnosis').notNull().default(''),
    // small (a handful of fields) and shown with every timeline row
    evidence: text('evidence', { mode: 'json' }).$type<Evidence>().notNull(),
    firstByteMs: integer('first_byte_ms'),
    ttftMs: integer('ttft_ms'),
    lastEventMs: integer('last_event_ms'),
    durationMs: integer('duration_ms'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    reasoningTokens: integer('reasoning_tokens'),
    cachedTokens: integer('cached_tokens'),
    totalTokens: integer('total_tokens'),
    usageEstimated: integer('usage_estimated', { mode: 'boolean' }).notNull().default(false),
    eventCount: integer('event_count').notNull().default(0),
    badJsonEvents: integer('bad_json_events').notNull().default(0),
    bytesIn: integer('bytes_in').notNull().default(0),
    bytesOut: integer('bytes_out').notNull().default(0),
    retryCount: integer('retry_count'),
    responsePreview: text('response_preview').notNull().default(''),
    eventsTruncated: integer('events_truncated', { mode: 'boolean' }).notNull().default(false),
  },
  // Every index ends with (started_at, id): the timeline reads newest first with
  // keyset pagination on (started_at, id), and SQLite walks an ascending index
  // backwards for ORDER BY … DESC as cheaply as forwards, so no DESC index is needed.
  // The trailing id makes the order total, so a page never needs a sort step.
  (t) => [
    index('requests_started_at_idx').on(t.startedAt, t.id),
    index('requests_outcome_idx').on(t.outcome, t.startedAt, t.id),
    index('requests_model_idx').on(t.model, t.startedAt, t.id),
    index('requests_client_idx').on(t.client, t.startedAt, t.id),
    index('requests_session_idx').on(t.sessionId, t.startedAt, t.id),
    index('requests_upstream_idx').on(t.upstream, t.startedAt, t.id),
    // a turn's attempts, in order (sessions, and a record's sibling attempts)
    index('requests_turn_idx').on(t.turnId, t.startedAt, t.id),
    // the median TTFT: an OFFSET walk over only the rows that have one (migration 0005)
    index('requests_ttft_idx').on(t.ttftMs).where(sql`${t.ttftMs} IS NOT NULL`),
    // filtered summaries and histograms read this instead of the rows (migration 0005)
    index('requests_summary_idx').on(t.startedAt, t.outcome, t.truncated, t.inputTokens, t.outputTokens, t.ttftMs),
    // the histogram's truncated answers by time (migration 0005)
    index('requests_truncated_idx').on(t.startedAt).where(sql`${t.outcome} = 'completed' AND ${t.truncated} = 1`),
  ],
);

export const requestBodies = sqliteTable('request_bodies', {
  id: text('id')
    .primaryKey()
    .references(() => requests.id, { onDelete: 'cascade' }),
  requestHeaders: text('request_headers', { mode: 'json' }).$type<Record<string, string>>().notNull(),
  // CapturedBody is flattened so text search runs over the body text itself rather
  // than over its JSON encoding (where quotes and newlines would be escaped).
  requestBodyText: text('request_body_text').notNull().default(''),
  // Added by migration 0004: the body as a JSON list of inline strings and
  // request_segments ids, which concatenated give the text (request-segments.ts). Rows
  // that have it keep '' in request_body_text; null = a row from before, whose text is
  // still in request_body_text until the segment backlog converts it.
  requestBodySegments: text('request_body_segments'),
  requestBodyBytes: integer('request_body_bytes').notNull().default(0),
  requestBodyTruncated: integer('request_body_truncated', { mode: 'boolean' }).notNull().default(false),
  responseHeaders: text('response_headers', { mode: 'json' }).$type<Record<string, string>>().notNull(),
  responseText: text('response_text').notNull().default(''),
  responseReasoning: text('response_reasoning').notNull().default(''),
  toolCalls: text('tool_calls', { mode: 'json' }).$type<ToolCall[]>().notNull(),
  // null text = no non-stream body (RequestRecord.responseBody === null)
  responseBodyText: text('response_body_text'),
  responseBodyBytes: integer('response_body_bytes'),
  responseBodyTruncated: integer('response_body_truncated', { mode: 'boolean' }),
  // The response's event log (recorder/event-log.ts): the SSE bytes once, brotli, and
  // each event's time and end offset as varints; null for a response without events.
  // Rows converted from older databases hold TEXT in both (SSE text, JSON times).
  eventLog: eventLogBlob('event_log'),
  eventTimes: eventLogBlob('event_times'),
  // Added by migration 0006: the answer (response_text, response_reasoning,
  // tool_calls) is not stored, since it is the event log's assembly (readers rebuild it,
  // row-mapping.ts); those columns then hold '', '' and []. Set only for a finished
  // stream whose log holds every event and whose answer hit no cap (recording.ts).
  answerInLog: integer('answer_in_log', { mode: 'boolean' }).notNull().default(false),
});

// The parts request bodies share, each stored once (migration 0004, request-segments.ts).
// The text is in a table of its own so the hash index, which every body's write probes
// once per part, stays small and cached. refs (bodies listing the segment) is kept by
// triggers on request_bodies; a segment no body lists is deleted with its text.
export const requestSegments = sqliteTable('request_segments', {
  id: integer('id').primaryKey(),
  // the first 16 bytes of the text's sha256 (UTF-8)
  hash: blob('hash', { mode: 'buffer' }).notNull().unique(),
  refs: integer('refs').notNull().default(0),
});

export const requestSegmentTexts = sqliteTable('request_segment_texts', {
  id: integer('id').primaryKey(),
  text: text('text').notNull(),
});

// The unfiltered summary strip, one row per outcome, kept by triggers on requests
// (migration 0005) so the strip never counts a million rows. Beside it, migration 0005
// creates request_search, an FTS5 table drizzle cannot declare: see
// common/text-search.ts and write-statements.ts.
export const requestTotals = sqliteTable('request_totals', {
  outcome: text('outcome').$type<Outcome>().primaryKey(),
  requests: integer('requests').notNull().default(0),
  truncated: integer('truncated').notNull().default(0),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  ttftCount: integer('ttft_count').notNull().default(0),
});

export type RequestsRow = typeof requests.$inferSelect;
export type RequestsInsert = typeof requests.$inferInsert;
export type BodiesRow = typeof requestBodies.$inferSelect;
export type BodiesInsert = typeof requestBodies.$inferInsert;

// The store's read queries, each a function of the reading connection: they run on
// the caller's thread against the last committed snapshot (WAL), never on the writer,
// and know nothing of what is queued (the store lays that over get() and requestBody()).

import { and, asc, count, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Histogram, RequestStats } from '../../common/contract.js';
import { OUTCOMES } from '../../common/record.js';
import type { ApiKind, CapturedBody, Outcome, RecordFilter, RequestRecord, RequestSummary, Usage } from '../../common/record.js';
import { filterWhere, type TextPlan } from './filter-sql.js';
import { ftsMatchQuery } from '../../common/text-search.js';
import { requestBodyTextSql, withRequestBodyText } from './request-body-text.js';
import { rowToRecord, rowToSummary } from './row-mapping.js';
import { requestBodies, requests, requestTotals } from './schema.js';
import type { BodiesRow, RequestsRow } from './schema.js';

type Db = BetterSQLite3Database;

export interface PageRequest {
  limit: number;
  /** keyset cursor: only rows strictly older than this (startedAt, id) */
  before?: { startedAt: number; id: string };
}

/** What the sessions list reads of each request of a session: enough for its totals,
 * title, turns, ending and cost, without the heavy parts (evidence, timings, bodies). */
export interface SessionLedgerRow {
  id: string;
  sessionId: string;
  sessionInferred: boolean;
  turnId: string;
  startedAt: number;
  endedAt: number | null;
  client: string | null;
  api: ApiKind;
  outcome: Outcome;
  truncated: boolean;
  diagnosis: string;
  upstream: string;
  upstreamUrl: string;
  /** the model the provider reported, else the one requested */
  model: string | null;
  usage: Usage;
  /** ConversationFacts.messages and .firstPrompt, for the session's title */
  messages: number | null;
  firstPrompt: string | null;
}

export type DistinctColumn = 'model' | 'client' | 'upstream' | 'session_id';

/** records per page for iterateRecords() and inProgressPage(): bounds memory for large exports */
export const READ_PAGE = 200;

interface JoinedRow {
  requests: RequestsRow;
  request_bodies: BodiesRow | null;
  /** the request body's text, rebuilt from its segments (request-body-text.ts) */
  requestBodyText: string | null;
}

/** A record's columns, both tables, and its request body's text. */
const JOINED = { requests, request_bodies: requestBodies, requestBodyText: requestBodyTextSql };

function joinedToRecord(row: JoinedRow): RequestRecord {
  return rowToRecord(row.requests, withRequestBodyText(row.request_bodies, row.requestBodyText));
}

interface RawLedgerRow {
  id: string;
  session_id: string;
  session_inferred: number;
  turn_id: string;
  started_at: number;
  ended_at: number | null;
  client: string | null;
  api: ApiKind;
  outcome: Outcome;
  truncated: number;
  diagnosis: string;
  upstream: string;
  upstream_url: string;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cached_tokens: number | null;
  total_tokens: number | null;
  usage_estimated: number;
  messages: number | null;
  first_prompt: string | null;
}

/** Ids per IN (…) list: far below SQLite's bound-parameter limit. */
const IN_CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

/** Matches up to which a text search fetches its rows by rowid ('lookup'). */
const RARE_MATCHES = 2_000;

/** The cheaper way to join a text search's matches (filter-sql.ts TextPlan), from a
 * count that stops at RARE_MATCHES (a few hundred µs whatever the word). */
export function textPlan(db: Db, filter: RecordFilter): TextPlan {
  const match = filter.text ? ftsMatchQuery(filter.text) : null;
  if (match === null) return 'lookup';
  const n = db.get<{ n: number }>(
    sql`select count(*) as n from (select rowid from request_search where request_search match ${match} limit ${RARE_MATCHES})`,
  ).n;
  return n < RARE_MATCHES ? 'lookup' : 'scan';
}

const where = (db: Db, filter: RecordFilter) => filterWhere(filter, textPlan(db, filter));

export function listSummaries(db: Db, filter: RecordFilter, page: PageRequest): RequestSummary[] {
  const limit = Math.floor(page.limit);
  if (!(limit > 0)) return [];
  const b = page.before;
  const rows = db
    .select()
    .from(requests)
    .where(
      and(
        where(db, filter),
        b ? sql`(${requests.startedAt}, ${requests.id}) < (${b.startedAt}, ${b.id})` : undefined,
      ),
    )
    .orderBy(desc(requests.startedAt), desc(requests.id))
    .limit(limit)
    .all();
  return rows.map(rowToSummary);
}

export function countRequests(db: Db, filter: RecordFilter): number {
  return db.select({ n: count() }).from(requests).where(where(db, filter)).get()?.n ?? 0;
}

export function summarize(db: Db, filter: RecordFilter): RequestStats {
  const cond = where(db, filter);
  // Unfiltered: the totals the triggers keep (migration 0005), one row per outcome,
  // instead of reading every request.
  const groups = cond
    ? db
        .select({
          outcome: requests.outcome,
          n: count(),
          truncated: sql<number>`coalesce(sum(${requests.outcome} = 'completed' and ${requests.truncated}), 0)`,
          input: sql<number>`coalesce(sum(${requests.inputTokens}), 0)`,
          output: sql<number>`coalesce(sum(${requests.outputTokens}), 0)`,
          ttft: count(requests.ttftMs),
        })
        .from(requests)
        .where(cond)
        // +outcome: grouped in a temporary b-tree over requests_summary_idx (covering),
        // not in requests_outcome_idx's order, which would read every row of the table
        .groupBy(sql`+${requests.outcome}`)
        .all()
    : db
        .select({
          outcome: requestTotals.outcome,
          n: requestTotals.requests,
          truncated: requestTotals.truncated,
          input: requestTotals.inputTokens,
          output: requestTotals.outputTokens,
          ttft: requestTotals.ttftCount,
        })
        .from(requestTotals)
        .all();
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const out: RequestStats = { requests: 0, byOutcome, truncated: 0, inputTokens: 0, outputTokens: 0, medianTtftMs: null };
  let withTtft = 0;
  for (const g of groups) {
    byOutcome[g.outcome] = (byOutcome[g.outcome] ?? 0) + g.n;
    out.requests += g.n;
    out.truncated += Number(g.truncated);
    out.inputTokens += Number(g.input);
    out.outputTokens += Number(g.output);
    withTtft += Number(g.ttft);
  }
  out.medianTtftMs = medianTtft(db, cond, withTtft);
  return out;
}

export function histogram(db: Db, filter: RecordFilter, buckets: number): Histogram {
  const n = Math.max(1, Math.min(500, Math.floor(buckets)));
  // a time window alone is read from requests_summary_idx, which holds every column used
  const where = filterWhere(filter, textPlan(db, filter));
  const span = db
    .select({ lo: sql<number | null>`min(${requests.startedAt})`, hi: sql<number | null>`max(${requests.startedAt})` })
    .from(requests)
    .where(where)
    .get();
  const from = filter.since ?? span?.lo ?? Date.now();
  const to = Math.max(from + 1, filter.until ?? (span?.hi !== null && span?.hi !== undefined ? span.hi + 1 : from + 1));
  const bucketMs = Math.max(1, Math.ceil((to - from) / n));
  const out: Histogram = { from, bucketMs, requests: new Array<number>(n).fill(0), failed: new Array<number>(n).fill(0) };
  if (span?.lo === null || span?.lo === undefined) return out;
  // Inlined integers (computed here, never user text): bound parameters would make the
  // SELECT's expression and the GROUP BY's two different expressions to SQLite.
  const int = (v: number) => sql.raw(String(Math.trunc(v)));
  const bucket = sql<number>`min(${int(n - 1)}, max(0, (${requests.startedAt} - ${int(from)}) / ${int(bucketMs)}))`;
  if (timeOnly(filter)) {
    // A time window alone (the timeline's usual case): each bar a range count on
    // requests_started_at_idx, which counts index entries without evaluating anything
    // per row; the failed ones from the failed outcomes' ranges of requests_outcome_idx
    // and the small partial index of truncated answers. Every row in the window lies in
    // [from, to), so the ranges cover exactly what the grouped query below would.
    const inBar = (lo: number, hi: number) =>
      db.get<{ n: number }>(sql`select count(*) as n from ${requests} where ${requests.startedAt} >= ${lo} and ${requests.startedAt} < ${hi}`).n;
    for (let i = 0; i < n; i++) {
      const lo = Math.max(from + i * bucketMs, filter.since ?? -Infinity);
      const hi = Math.min(from + (i + 1) * bucketMs, to);
      out.requests[i] = lo < hi ? inBar(lo, hi) : 0;
    }
    const failedOutcomes = OUTCOMES.filter((o) => o !== 'completed' && o !== 'in_progress');
    const failedRows = [
      ...db.select({ b: bucket, n: count() }).from(requests).where(and(where, inArray(requests.outcome, failedOutcomes))).groupBy(bucket).all(),
      // Named: left to itself SQLite takes requests_outcome_idx for outcome = 'completed'
      // and reads most of the table's rows (3.6 s at 300k, against 4 ms).
      ...db.all<{ b: number; n: number }>(
        sql`select ${bucket} as b, count(*) as n from ${requests} indexed by requests_truncated_idx
          where ${and(where, sql`${requests.outcome} = 'completed' AND ${requests.truncated} = 1`)} group by b`,
      ),
    ];
    for (const r of failedRows) out.failed[Number(r.b)]! += Number(r.n);
    return out;
  }
  const rows = db
    .select({
      b: bucket,
      total: count(),
      failed: sql<number>`coalesce(sum(${requests.outcome} not in ('completed', 'in_progress') or (${requests.outcome} = 'completed' and ${requests.truncated})), 0)`,
    })
    .from(requests)
    .where(where)
    .groupBy(bucket)
    .all();
  for (const r of rows) {
    const i = Number(r.b);
    out.requests[i] = Number(r.total);
    out.failed[i] = Number(r.failed);
  }
  return out;
}

/** Whether a filter constrains nothing but the time (empty lists and a wordless text are no constraint). */
function timeOnly(f: RecordFilter): boolean {
  return (
    !f.outcome?.length &&
    f.truncated === undefined &&
    !f.model?.length &&
    !f.client?.length &&
    !f.upstream?.length &&
    !f.session?.length &&
    (!f.text || ftsMatchQuery(f.text) === null)
  );
}

/** `n`: how many rows of `where` have a TTFT (the summary counted them already). */
function medianTtft(db: Db, where: SQL | undefined, n: number): number | null {
  if (n === 0) return null;
  // The middle value, or the two middle values for an even count. Ordered by ttft_ms
  // over requests_ttft_idx, which holds only rows with a TTFT: unfiltered, the OFFSET
  // walks half of that index and touches no table row.
  const middle = db
    .select({ t: requests.ttftMs })
    .from(requests)
    .where(and(where, isNotNull(requests.ttftMs)))
    .orderBy(asc(requests.ttftMs))
    .limit(n % 2 === 1 ? 1 : 2)
    .offset(Math.floor((n - 1) / 2))
    .all();
  const values = middle.map((r) => Number(r.t));
  return values.length ? values.reduce((a, v) => a + v, 0) / values.length : null;
}

/** Full records a page at a time; `assertOpen` throws once the store is closed between pages. */
export function* iterateRecords(db: Db, filter: RecordFilter, order: 'asc' | 'desc', assertOpen: () => void): Generator<RequestRecord> {
  const where = filterWhere(filter, textPlan(db, filter));
  let cursor: { startedAt: number; id: string } | null = null;
  for (;;) {
    // One page per query, no cursor held open across yields: the consumer may be
    // slow (writing a file), and the connection must stay free for the writer.
    const c: { startedAt: number; id: string } | null = cursor;
    const after: SQL | undefined = c
      ? order === 'asc'
        ? sql`(${requests.startedAt}, ${requests.id}) > (${c.startedAt}, ${c.id})`
        : sql`(${requests.startedAt}, ${requests.id}) < (${c.startedAt}, ${c.id})`
      : undefined;
    assertOpen();
    const rows: JoinedRow[] = db
      .select(JOINED)
      .from(requests)
      .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
      .where(and(where, after))
      .orderBy(
        ...(order === 'asc'
          ? [asc(requests.startedAt), asc(requests.id)]
          : [desc(requests.startedAt), desc(requests.id)]),
      )
      .limit(READ_PAGE)
      .all();
    for (const row of rows) yield joinedToRecord(row);
    if (rows.length < READ_PAGE) return;
    const last: RequestsRow = rows[rows.length - 1]!.requests;
    cursor = { startedAt: last.startedAt, id: last.id };
  }
}

export function distinctValues(db: Db, column: DistinctColumn): string[] {
  const columns = {
    model: requests.model,
    client: requests.client,
    upstream: requests.upstream,
    session_id: requests.sessionId,
  } as const;
  // The column name may come from IPC or HTTP: check it rather than trust the type.
  if (!Object.hasOwn(columns, column)) throw new Error(`Unknown column for distinct(): ${String(column)}`);
  const col = columns[column];
  return db
    .selectDistinct({ v: col })
    .from(requests)
    .where(isNotNull(col))
    .orderBy(asc(col))
    .all()
    .map((r) => r.v as string);
}

export function sessionIds(db: Db, filter: RecordFilter, limit: number): string[] {
  const n = Math.floor(limit);
  if (!(n > 0)) return [];
  const where = filterWhere(filter, textPlan(db, filter));
  // A session matches when any of its requests does; it is ordered by all of them.
  const which = where
    ? sql`${requests.sessionId} in (select ${requests.sessionId} from ${requests} where ${and(isNotNull(requests.sessionId), where)})`
    : isNotNull(requests.sessionId);
  // Grouped on requests_session_idx (session_id, started_at, id), which holds every
  // column this reads: no table row is touched.
  return db
    .all<{ session_id: string }>(sql`
      select ${requests.sessionId} as session_id from ${requests}
      where ${which}
      group by ${requests.sessionId}
      order by max(${requests.startedAt}) desc, ${requests.sessionId} desc
      limit ${n}`)
    .map((r) => r.session_id);
}

export function sessionLedger(db: Db, sessionIds: readonly string[]): SessionLedgerRow[] {
  const out: SessionLedgerRow[] = [];
  for (const ids of chunks(sessionIds)) {
    // Raw rows, not drizzle's mapped ones: a sessions list reads tens of thousands of
    // these, and mapping each column through the schema doubled the time.
    const rows = db.all<RawLedgerRow>(sql`
      select ${requests.id} as id, ${requests.sessionId} as session_id, ${requests.sessionInferred} as session_inferred,
        coalesce(${requests.turnId}, ${requests.id}) as turn_id, ${requests.startedAt} as started_at, ${requests.endedAt} as ended_at,
        ${requests.client} as client, ${requests.api} as api, ${requests.outcome} as outcome, ${requests.truncated} as truncated,
        ${requests.diagnosis} as diagnosis, ${requests.upstream} as upstream, ${requests.upstreamUrl} as upstream_url, coalesce(${requests.responseModel}, ${requests.model}) as model,
        ${requests.inputTokens} as input_tokens, ${requests.outputTokens} as output_tokens, ${requests.reasoningTokens} as reasoning_tokens,
        ${requests.cachedTokens} as cached_tokens, ${requests.totalTokens} as total_tokens, ${requests.usageEstimated} as usage_estimated,
        ${requests.conversationMessages} as messages, ${requests.firstPrompt} as first_prompt
      from ${requests}
      where ${inArray(requests.sessionId, ids)}`);
    for (const r of rows) {
      out.push({
        id: r.id,
        sessionId: r.session_id,
        sessionInferred: r.session_inferred === 1,
        turnId: r.turn_id,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        client: r.client,
        api: r.api,
        outcome: r.outcome,
        truncated: r.truncated === 1,
        diagnosis: r.diagnosis,
        upstream: r.upstream,
        upstreamUrl: r.upstream_url,
        model: r.model,
        usage: {
          inputTokens: r.input_tokens,
          outputTokens: r.output_tokens,
          reasoningTokens: r.reasoning_tokens,
          cachedTokens: r.cached_tokens,
          totalTokens: r.total_tokens,
          estimated: r.usage_estimated === 1,
        },
        messages: r.messages,
        firstPrompt: r.first_prompt,
      });
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function turnAttempts(db: Db, turnIds: readonly string[]): RequestSummary[] {
  const out: RequestSummary[] = [];
  for (const ids of chunks(turnIds)) {
    // Served by requests_turn_idx (turn_id, started_at, id).
    const rows = db.select().from(requests).where(inArray(requests.turnId, ids)).orderBy(asc(requests.turnId), asc(requests.startedAt), asc(requests.id)).all();
    for (const r of rows) out.push(rowToSummary(r));
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function turnIdOf(db: Db, id: string): string | null {
  const row = db.select({ id: requests.id, turnId: requests.turnId }).from(requests).where(eq(requests.id, id)).get();
  return row ? (row.turnId ?? row.id) : null;
}

/** A request's captured body as committed, without reading the rest of the record. */
export function storedRequestBody(db: Db, id: string): CapturedBody | null {
  const row = db
    .select({ text: requestBodyTextSql, bytes: requestBodies.requestBodyBytes, truncated: requestBodies.requestBodyTruncated })
    .from(requestBodies)
    .where(eq(requestBodies.id, id))
    .get();
  return row ? { text: row.text ?? '', bytes: row.bytes, truncated: row.truncated } : null;
}

/** One record by id, as committed: a statement prepared once per connection. */
export function prepareGet(db: Db): (id: string) => RequestRecord | null {
  const query = db
    .select(JOINED)
    .from(requests)
    .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
    .where(eq(requests.id, sql.placeholder('id')))
    .prepare();
  return (id) => {
    const row = query.get({ id });
    return row ? joinedToRecord(row) : null;
  };
}

/** Up to READ_PAGE records still in_progress, oldest first, after the keyset cursor. */
export function inProgressPage(db: Db, after: { startedAt: number; id: string } | null): RequestRecord[] {
  const rows: JoinedRow[] = db
    .select(JOINED)
    .from(requests)
    .leftJoin(requestBodies, eq(requestBodies.id, requests.id))
    .where(
      and(
        eq(requests.outcome, 'in_progress'),
        after ? sql`(${requests.startedAt}, ${requests.id}) > (${after.startedAt}, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(requests.startedAt), asc(requests.id))
    .limit(READ_PAGE)
    .all();
  return rows.map(joinedToRecord);
}

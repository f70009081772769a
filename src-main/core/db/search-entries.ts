// The records' entries in request_search (migration 0005; common/text-search.ts has the
// rule), rewritten from the stored rows after a batch's own statements, in the same
// transaction, by one statement for the whole batch.
//
// One statement, not one per record: FTS5 writes the terms it holds in memory to a
// new index segment at every savepoint, and SQLite opens one on the index for each
// later statement of the transaction that might need undoing (the upsert of the next
// record does). Interleaved with the records' upserts, each record became a segment of
// its own, to be merged again later; the writer spent more on the index than on
// everything else a record costs (bench/traffic.ts, the throughput workload).
//
// INSERT OR REPLACE (contentless_delete=1 allows it) replaces an entry by rowid in one
// statement: a DELETE before each insert cost a quarter of the index's time. An
// in-progress record is indexed by prompt and models only; the rest waits for the op
// that ends it (the recorder's final patch), so a stream's many patches do not
// re-index a growing answer. A record whose op set its prompt or model while it is in
// progress is rewritten even so ('always').
//
// The answer, reasoning and tool calls come from the op's own values when it carries
// them (a new record, the recorder's checkpoints and final patch): a record whose answer
// is kept only in its event log (answer_in_log) has none in its row. An op without
// them reads the row, and leaves such a record's entry as it is: every patch the
// recorder sends after the end carries them again (recording.ts, setRequestBody).

import type Database from 'better-sqlite3';

/** The op's answer, reasoning and tool calls as the index holds them (searchValues()). */
export type SearchValues = [answer: string, reasoning: string, tools: string];

/** What an op asks of the index (a WriteOp is one). */
export interface SearchRequest {
  id: string;
  /** 'final': rewrite once the record is no longer in progress; 'always': even while it is */
  search?: 'always' | 'final';
  /** the answer, reasoning and tool calls to index, when the op carries them */
  searchValues?: SearchValues;
}

/** A batch's entries to rewrite: from the rows, and from the ops' values. */
export interface SearchEntries {
  /** ids whose entry is rewritten from the stored row */
  ids: string[];
  /** of those, the ids whose entry is rewritten even while the record is in progress */
  always: string[];
  /** [id, answer, reasoning, tools, always] */
  values: [string, string, string, string, 0 | 1][];
}

const FINAL = (expr: string) => `CASE WHEN r."outcome" = 'in_progress' THEN '' ELSE ${expr} END`;
const PROMPT_AND_MODELS = `r.rowid, r."prompt", coalesce(r."model", '') || ' ' || coalesce(r."response_model", '')`;
const ERRORS = FINAL(`coalesce(r."error_message", '') || ' ' || coalesce(r."proxy_error_message", '')`);
const COLUMNS = `"request_search" (rowid, prompt, models, answer, reasoning, tools, errors)`;

/** A record's entry as its stored rows give it (never for a row whose answer is in its log). */
const FROM_ROWS = `SELECT ${PROMPT_AND_MODELS},
  ${FINAL(`coalesce(b."response_text", r."response_preview")`)},
  ${FINAL(`coalesce(b."response_reasoning", '')`)},
  ${FINAL(`coalesce((SELECT group_concat(coalesce(json_extract(j.value, '$.name'), '') || ' ' || coalesce(json_extract(j.value, '$.arguments'), ''), ' ') FROM json_each(CASE WHEN json_valid(b."tool_calls") THEN b."tool_calls" ELSE '[]' END) j), '')`)},
  ${ERRORS}
FROM "requests" r LEFT JOIN "request_bodies" b ON b."id" = r."id"
WHERE NOT coalesce(b."answer_in_log", 0)`;

export const SEARCH_FROM_ROWS_SQL = `INSERT OR REPLACE INTO ${COLUMNS}
${FROM_ROWS}
  AND r."id" IN (SELECT value FROM json_each(?)) AND (r."outcome" <> 'in_progress' OR r."id" IN (SELECT value FROM json_each(?)))`;

/** The entries of the records with rowid in [?, ?) (search-backlog.ts: records from before 0006). */
export const SEARCH_ROWID_RANGE_SQL = `INSERT OR REPLACE INTO ${COLUMNS}
${FROM_ROWS}
  AND r.rowid >= ? AND r.rowid < ?`;

export const SEARCH_FROM_VALUES_SQL = `INSERT OR REPLACE INTO ${COLUMNS}
SELECT ${PROMPT_AND_MODELS},
  ${FINAL(`v.value ->> 1`)}, ${FINAL(`v.value ->> 2`)}, ${FINAL(`v.value ->> 3`)},
  ${ERRORS}
FROM json_each(?) v JOIN "requests" r ON r."id" = v.value ->> 0
WHERE r."outcome" <> 'in_progress' OR v.value ->> 4`;

/** The tool calls as the index holds them: each one's name and arguments, as SEARCH_FROM_ROWS_SQL joins them. */
export function toolsText(calls: readonly { name: string | null; arguments: string | null }[]): string {
  return calls.map((c) => `${c.name ?? ''} ${c.arguments ?? ''}`).join(' ');
}

/** The search entries the ops ask for, or null when none does. */
export function searchEntries(ops: readonly SearchRequest[]): SearchEntries | null {
  const entries: SearchEntries = { ids: [], always: [], values: [] };
  for (const op of ops) {
    if (!op.search) continue;
    const always = op.search === 'always';
    if (op.searchValues) {
      entries.values.push([op.id, ...op.searchValues, always ? 1 : 0]);
    } else {
      entries.ids.push(op.id);
      if (always) entries.always.push(op.id);
    }
  }
  return entries.ids.length > 0 || entries.values.length > 0 ? entries : null;
}

/** Rewrites the entries, one statement per source; returns the rows changed. */
export function writeSearchEntries(stmt: (sql: string) => Database.Statement, entries: SearchEntries): number {
  let changes = 0;
  if (entries.ids.length > 0) changes += stmt(SEARCH_FROM_ROWS_SQL).run(JSON.stringify(entries.ids), JSON.stringify(entries.always)).changes;
  if (entries.values.length > 0) changes += stmt(SEARCH_FROM_VALUES_SQL).run(JSON.stringify(entries.values)).changes;
  return changes;
}

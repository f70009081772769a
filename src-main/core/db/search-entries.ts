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
// progress is listed in the second argument, which forces the rewrite.

import type Database from 'better-sqlite3';

/** Which records of a batch get their search entry rewritten. */
export interface SearchEntries {
  /** ids whose entry is rewritten once the record is no longer in progress */
  ids: string[];
  /** of those, the ids whose entry is rewritten even while the record is in progress */
  always: string[];
}

const FINAL = (expr: string) => `CASE WHEN r."outcome" = 'in_progress' THEN '' ELSE ${expr} END`;
export const SEARCH_ENTRIES_SQL = `INSERT OR REPLACE INTO "request_search" (rowid, prompt, models, answer, reasoning, tools, errors)
SELECT r.rowid, r."prompt",
  coalesce(r."model", '') || ' ' || coalesce(r."response_model", ''),
  ${FINAL(`coalesce(b."response_text", r."response_preview")`)},
  ${FINAL(`coalesce(b."response_reasoning", '')`)},
  ${FINAL(`coalesce((SELECT group_concat(coalesce(json_extract(j.value, '$.name'), '') || ' ' || coalesce(json_extract(j.value, '$.arguments'), ''), ' ') FROM json_each(CASE WHEN json_valid(b."tool_calls") THEN b."tool_calls" ELSE '[]' END) j), '')`)},
  ${FINAL(`coalesce(r."error_message", '') || ' ' || coalesce(r."proxy_error_message", '')`)}
FROM "requests" r LEFT JOIN "request_bodies" b ON b."id" = r."id"
WHERE r."id" IN (SELECT value FROM json_each(?)) AND (r."outcome" <> 'in_progress' OR r."id" IN (SELECT value FROM json_each(?)))`;

/** The search entries the ops ask for, or null when none does. */
export function searchEntries(ops: readonly { id: string; search?: 'always' | 'final' }[]): SearchEntries | null {
  const ids: string[] = [];
  const always: string[] = [];
  for (const op of ops) {
    if (!op.search) continue;
    ids.push(op.id);
    if (op.search === 'always') always.push(op.id);
  }
  return ids.length > 0 ? { ids, always } : null;
}

/** Rewrites the entries; returns the rows changed. */
export function writeSearchEntries(stmt: Database.Statement, entries: SearchEntries): number {
  return stmt.run(JSON.stringify(entries.ids), JSON.stringify(entries.always)).changes;
}

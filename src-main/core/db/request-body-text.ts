// A request body's text as the store reads it back: rows with a segment list
// (request-segments.ts) are rebuilt by concatenating the list's inline strings and
// segment texts in order, rows from before migration 0004 that the backlog has not
// converted yet still have it whole in request_body_text. One SQL expression, so the
// body and its segments are read in one statement, from one snapshot: a retention run
// committing between two reads cannot leave a body whose segments are gone.

import { sql, type SQL } from 'drizzle-orm';
import type { BodiesRow } from './schema.js';

/** The text of the request_bodies row in the query (null when the row is missing).
 * Column names written out in full: drizzle leaves them unqualified in a one-table
 * query, where `id` would then be ambiguous inside the subquery. */
export const requestBodyTextSql: SQL<string | null> = sql<string | null>`(case when "request_bodies"."request_body_segments" is null then "request_bodies"."request_body_text" else coalesce((
  select group_concat(case j.type when 'text' then j.value else t.text end, '' order by j.key)
  from json_each("request_bodies"."request_body_segments") as j
  left join "request_segment_texts" as t on j.type = 'integer' and t.id = j.value
), '') end)`;

/** A bodies row with its request body text rebuilt (`text` from requestBodyTextSql). */
export function withRequestBodyText(b: BodiesRow | null, text: string | null): BodiesRow | null {
  return b && { ...b, requestBodyText: text ?? '' };
}

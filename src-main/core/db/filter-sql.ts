// The record filter compiled to SQL: the same rule as common/record.ts's
// matchesRecordFilter (the live view's), proven equal by test/unit/record-filter.test.ts,
// which runs every case through both. Used by list, count, summary, histogram, iterate
// and sessions.

import { and, eq, gte, inArray, lt, not, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { RecordFilter } from '../../common/record.js';
import { ftsMatchQuery } from '../../common/text-search.js';
import { requests } from './schema.js';

/**
 * How the text search joins the rows. Both forms select the rowids FTS5 matched;
 * - 'lookup' lets SQLite fetch each matched row by rowid: right for a rare word (a few
 *   rows), wrong for a common one (a seek into the wide table per match: seconds at 1M);
 * - 'scan' (`+rowid`, which keeps SQLite from using the match as a rowid lookup) walks an
 *   index in its own order and tests each entry against the matched set: the timeline's
 *   started_at index stops after one page, a summary reads requests_summary_idx alone.
 * queries.ts's textPlan picks one by how many rows match.
 */
export type TextPlan = 'lookup' | 'scan';

/** Empty arrays and an empty text mean "no constraint", like an unset field. */
export function filterWhere(f: RecordFilter, text: TextPlan = 'lookup'): SQL | undefined {
  const c: (SQL | undefined)[] = [];
  if (f.since !== undefined) c.push(gte(requests.startedAt, f.since));
  if (f.until !== undefined) c.push(lt(requests.startedAt, f.until));
  const truncated = and(eq(requests.outcome, 'completed'), eq(requests.truncated, true))!;
  // "truncated" is picked like an outcome (a badge of its own): with an outcome list it
  // widens the selection (outcome in list OR truncated); alone it selects truncated only.
  if (f.outcome?.length && f.truncated === true) c.push(or(inArray(requests.outcome, f.outcome), truncated));
  else {
    if (f.outcome?.length) c.push(inArray(requests.outcome, f.outcome));
    if (f.truncated !== undefined) c.push(f.truncated ? truncated : not(truncated));
  }
  if (f.model?.length) c.push(inArray(requests.model, f.model));
  if (f.client?.length) c.push(inArray(requests.client, f.client));
  if (f.upstream?.length) c.push(inArray(requests.upstream, f.upstream));
  if (f.session?.length) c.push(inArray(requests.sessionId, f.session));
  const match = f.text ? ftsMatchQuery(f.text) : null;
  if (match !== null) {
    // The FTS5 index (migration 0005) answers with rowids; a text of punctuation only
    // has no words and is no constraint (common/text-search.ts).
    const rowid = text === 'scan' ? sql`+${requests}.rowid` : sql`${requests}.rowid`;
    c.push(sql`${rowid} in (select rowid from request_search where request_search match ${match})`);
  }
  return and(...c);
}


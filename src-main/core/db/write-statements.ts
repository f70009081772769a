// The SQL that writes a queued operation: an upsert of both tables for a new record,
// an UPDATE of the columns a patch sets for a change. The write path builds raw SQL
// with positional arguments: drizzle's builder would rebuild the SQL string for each
// of thousands of queued operations. The column lists still come from the drizzle
// schema, so both stay in step.

import { getTableColumns } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { RequestRecord } from '../../common/record.js';
import { toColumns } from './row-mapping.js';
import { requestBodies, requests } from './schema.js';
import type { SegmentedBodyArgs } from './request-segments.js';
import { toolsText } from './search-entries.js';
import type { WriteOp } from './write-executor.js';
import type { QueuedOp } from './write-queue.js';

/** distinct update shapes whose statements are kept prepared */
const MAX_CACHED_STATEMENTS = 256;

/** Fields whose change rewrites the search entry (search-entries.ts) even while the record is in progress. */
const SEARCHED_ALWAYS: readonly (keyof RequestRecord)[] = ['conversation', 'model', 'responseModel', 'outcome'];
/** Fields searched once the record has ended. */
const SEARCHED_FINAL: readonly (keyof RequestRecord)[] = ['responseText', 'responseReasoning', 'toolCalls', 'error', 'errorMessage'];

export class WriteStatements {
  private readonly mainColumns = columnList(requests);
  private readonly bodyColumns = columnList(requestBodies);
  private readonly mainByField = new Map(this.mainColumns);
  private readonly bodyByField = new Map(this.bodyColumns);
  private readonly upsertMainSql = upsertSql('requests', this.mainColumns);
  private readonly upsertBodySql = upsertSql('request_bodies', this.bodyColumns);
  private readonly updateSql = new Map<string, string>();

  /** The statements that write one queued op (run later, on the executor). */
  build(id: string, op: QueuedOp): WriteOp {
    if (op.kind === 'insert') {
      const cols = toColumns(op.rec, true);
      const main: Record<string, unknown> = { ...(cols.main as Record<string, unknown>), id };
      const body: Record<string, unknown> = { ...(cols.body as Record<string, unknown>), id };
      return {
        id,
        stmts: [
          [this.upsertMainSql, this.mainColumns.map(([field, col]) => toDriver(col, main[field]))],
          [this.upsertBodySql, this.bodyColumns.map(([field, col]) => toDriver(col, body[field]))],
        ],
        segmentedBody: this.upsertBodySegments,
        search: 'always',
        searchValues: [op.rec.responseText, op.rec.responseReasoning, toolsText(op.rec.toolCalls)],
      };
    }
    const cols = toColumns(op.patch);
    const stmts: WriteOp['stmts'] = [];
    const main = this.updateStmt('requests', this.mainByField, cols.main as Record<string, unknown>, id);
    if (main) stmts.push(main.stmt);
    const bodyValues = cols.body as Record<string, unknown>;
    // A new request body is written as segments, split on the writer thread: here the
    // segments column only gets its place in the statement.
    if (bodyValues.requestBodyText !== undefined) bodyValues.requestBodySegments = null;
    const body = this.updateStmt('request_bodies', this.bodyByField, bodyValues, id);
    let segmentedBody: SegmentedBodyArgs | undefined;
    if (body) {
      stmts.push(body.stmt);
      if (bodyValues.requestBodyText !== undefined) {
        segmentedBody = { stmt: stmts.length - 1, text: body.fields.indexOf('requestBodyText'), segments: body.fields.indexOf('requestBodySegments') };
      }
    }
    const patch = op.patch;
    const built: WriteOp = { id, stmts };
    if (segmentedBody) built.segmentedBody = segmentedBody;
    // The search entry (search-entries.ts) is rewritten when the patch changes what it holds.
    if (SEARCHED_ALWAYS.some((f) => f in patch)) built.search = 'always';
    else if (SEARCHED_FINAL.some((f) => f in patch)) built.search = 'final';
    if (built.search && patch.responseText !== undefined && patch.responseReasoning !== undefined && patch.toolCalls !== undefined) {
      built.searchValues = [patch.responseText, patch.responseReasoning, toolsText(patch.toolCalls)];
    }
    return built;
  }

  /** where the upsert of request_bodies has the body's text and its segment list */
  private readonly upsertBodySegments: SegmentedBodyArgs = {
    stmt: 1,
    text: this.bodyColumns.findIndex(([field]) => field === 'requestBodyText'),
    segments: this.bodyColumns.findIndex(([field]) => field === 'requestBodySegments'),
  };

  /** The UPDATE setting `values`, and the fields it sets in the order of its arguments. */
  private updateStmt(table: string, columns: Map<string, SQLiteColumn>, values: Record<string, unknown>, id: string): { stmt: [string, unknown[]]; fields: string[] } | null {
    const fields = Object.keys(values).filter((f) => f !== 'id');
    if (fields.length === 0) return null;
    // One SQL text per update shape (which columns it sets, in the order toColumns
    // produced them): the recorder sends a handful of shapes over and over, and the
    // executor keeps each shape's statement prepared.
    const key = `${table}:${fields.join(',')}`;
    let text = this.updateSql.get(key);
    if (!text) {
      if (this.updateSql.size >= MAX_CACHED_STATEMENTS) this.updateSql.clear();
      const set = fields.map((f) => `${quote(columns.get(f)!.name)} = ?`);
      text = `UPDATE ${quote(table)} SET ${set.join(', ')} WHERE "id" = ?`;
      this.updateSql.set(key, text);
    }
    const args = fields.map((f) => toDriver(columns.get(f)!, values[f]));
    args.push(id);
    return { stmt: [text, args], fields };
  }
}

type ColumnList = [field: string, column: SQLiteColumn][];

function columnList(table: SQLiteTable): ColumnList {
  return Object.entries(getTableColumns(table)) as ColumnList;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** TypeScript-side value to what SQLite stores (booleans to 0/1, JSON to text), via the schema. */
function toDriver(column: SQLiteColumn, value: unknown): unknown {
  return value === null || value === undefined ? null : column.mapToDriverValue(value);
}

function upsertSql(table: string, columns: ColumnList): string {
  const names = columns.map(([, c]) => quote(c.name));
  const updates = columns
    .filter(([, c]) => c.name !== 'id')
    .map(([, c]) => `${quote(c.name)} = excluded.${quote(c.name)}`);
  // An upsert, not a plain INSERT, so a retried batch that did reach the disk cannot
  // fail on the primary key; and not INSERT OR REPLACE, which deletes the old row
  // first and would cascade to its bodies.
  return `INSERT INTO ${quote(table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT ("id") DO UPDATE SET ${updates.join(', ')}`;
}

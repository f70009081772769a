// Records from before migration 0006 are indexed after opening (search-backlog.ts):
// newest first, SEARCH_BACKLOG_ROWS rowids a batch, and a run stopped in between goes on
// where it stopped. Records written meanwhile are indexed by the writer as usual.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultMigrationsFolder } from '../../src-main/core/db/open-database.js';
import { fillSearchBacklog, SEARCH_BACKLOG_ROWS, searchBacklogBelow } from '../../src-main/core/db/search-backlog.js';
import { openStore } from '../../src-main/core/db/store.js';
import { createRunner } from '../../src-main/core/db/write-runner.js';
import { migrateUpTo } from '../fixtures/older-database.js';
import { makeCompletedRecord } from '../fixtures/store-records.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-search-backlog-'));
  file = join(dir, 'streamtap.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const RECORDS = SEARCH_BACKLOG_ROWS * 2 + 200;

/** A database as 0005 left it, holding RECORDS answered requests; then migrated to today. */
function olderDatabase(): void {
  const db = new Database(file);
  migrateUpTo(db, dir, '0005_search_fts');
  const main = db.prepare(
    `insert into requests (id, started_at, upstream, upstream_url, api, method, path, stream, outcome, evidence, prompt)
     values (?, ?, 'openai', 'https://api.openai.com/v1/responses', 'responses', 'POST', '/v1/responses', 1, 'completed', '{}', ?)`,
  );
  const bodies = db.prepare(`insert into request_bodies (id, request_headers, response_headers, response_text, tool_calls) values (?, '{}', '{}', ?, '[]')`);
  db.transaction(() => {
    for (let i = 1; i <= RECORDS; i++) {
      main.run(`old-${i}`, i, `question ${i}`);
      bodies.run(`old-${i}`, `answer word${i}`);
    }
  })();
  migrate(drizzle({ client: db }), { migrationsFolder: defaultMigrationsFolder() });
  db.close();
}

describe('the search backlog', () => {
  it('indexes the older records newest first, a batch at a time, and goes on where it stopped', async () => {
    olderDatabase();
    const db = new Database(file);
    try {
      expect(searchBacklogBelow(db)).toBe(RECORDS + 1);
      const found = (word: string) => db.prepare('select count(*) from request_search where request_search match ?').pluck().get(`"${word}"`);
      // nothing indexed by the migration itself
      expect(found('answer')).toBe(0);
      const run = createRunner(db);
      const write = (ops: Parameters<typeof run>[0]) => Promise.resolve(run(ops));
      let batches = 0;
      const first = await fillSearchBacklog(db, write, () => batches++ >= 1);
      expect(first).toEqual({ rowids: SEARCH_BACKLOG_ROWS, complete: false });
      expect(searchBacklogBelow(db)).toBe(RECORDS + 1 - SEARCH_BACKLOG_ROWS);
      // the newest first
      expect(found(`word${RECORDS}`)).toBe(1);
      expect(found(`word${RECORDS - SEARCH_BACKLOG_ROWS + 1}`)).toBe(1);
      expect(found(`word${RECORDS - SEARCH_BACKLOG_ROWS}`)).toBe(0);
      expect(found('answer')).toBe(SEARCH_BACKLOG_ROWS);

      const rest = await fillSearchBacklog(db, write, () => false);
      expect(rest).toEqual({ rowids: RECORDS - SEARCH_BACKLOG_ROWS, complete: true });
      expect(found('answer')).toBe(RECORDS);
      expect(found('word1')).toBe(1);
      expect(searchBacklogBelow(db)).toBeNull();
      // once done, a run has nothing to do
      expect(await fillSearchBacklog(db, write, () => false)).toEqual({ rowids: 0, complete: true });
    } finally {
      db.close();
    }
  });

  it('runs when a writable store opens, and a record written meanwhile is found too', async () => {
    olderDatabase();
    const store = openStore({ path: file, flushIntervalMs: 60_000 });
    try {
      store.insert(makeCompletedRecord({ id: 'new', startedAt: 1e12, responseText: 'answer fresh' }));
      store.flush();
      expect(await store.searchBacklog()).toEqual({ rowids: RECORDS, complete: true });
      expect(store.count({ text: 'answer' })).toBe(RECORDS + 1);
      expect(store.list({ text: 'fresh' }, { limit: 10 }).map((r) => r.id)).toEqual(['new']);
    } finally {
      store.close();
    }
  });
});

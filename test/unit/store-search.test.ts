// What migration 0005 adds, through the store: the search index follows a record's
// life (prompt while in progress, answer once it ends, gone with retention; a batch's
// entries written together, search-entries.ts), the
// trigger-kept totals always equal a count of the rows, and a database from before the
// migration is searchable and counted after it, its rows unchanged.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordFilter } from '../../src-main/common/record.js';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { createRunner } from '../../src-main/core/db/write-runner.js';
import { WriteStatements } from '../../src-main/core/db/write-statements.js';
import { unpackArgs } from '../../src-main/core/db/writer-protocol.js';
import { migrateUpTo } from '../fixtures/older-database.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';

let dir: string;
let file: string;
let store: Store | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-search-'));
  file = join(dir, 'streamtap.db');
});

afterEach(() => {
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

function open(): Store {
  store = openStore({ path: file, flushIntervalMs: 60_000 });
  return store;
}

const ids = (s: Store, f: RecordFilter) =>
  s
    .list(f, { limit: 100 })
    .map((r) => r.id)
    .sort();

/** The summary computed by scanning rows: any filter (here a window holding every row) does. */
const scanned = (s: Store) => s.summary({ since: 0 });

const prompt = (text: string) => ({ messages: 1, tailHash: 'h', prompt: text, firstPrompt: text });
const usage = (input: number, output: number) => ({ inputTokens: input, outputTokens: output, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false });
const timings = (ttft: number | null) => ({ firstByteMs: null, ttftMs: ttft, lastEventMs: null, durationMs: null });

describe('the search index', () => {
  it('finds a record in progress by its prompt, by its answer once it ends, and no more once retention deleted it', async () => {
    const s = open();
    s.insert(makeRecord({ id: 'live', startedAt: 1_000, outcome: 'in_progress', conversation: prompt('rename the walrus module') }));
    s.flush();
    expect(ids(s, { text: 'walrus' })).toEqual(['live']);
    s.update('live', { responseText: 'renamed: narwhal' });
    s.flush();
    expect(ids(s, { text: 'narwhal' })).toEqual([]);
    s.update('live', { outcome: 'completed', responseText: 'renamed: narwhal', toolCalls: [{ id: 't', name: 'edit_file', arguments: '{"path":"walrus.ts"}' }] });
    s.flush();
    expect(ids(s, { text: 'narwhal' })).toEqual(['live']);
    expect(ids(s, { text: 'edit_file' })).toEqual(['live']);
    // the prompt stays searched, once, after the rewrite
    expect(s.count({ text: 'walrus' })).toBe(1);

    s.insert(makeCompletedRecord({ id: 'newer', startedAt: 9_000, responseText: 'narwhal again' }));
    s.flush();
    await s.applyRetention({ olderThan: 5_000, maxBytes: null });
    expect(ids(s, { text: 'narwhal' })).toEqual(['newer']);
    s.close();
    store = null;
    const db = new Database(file, { readonly: true });
    try {
      // the entry itself is gone, not only hidden by the join
      expect(db.prepare("select count(*) from request_search where request_search match 'walrus'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('indexes a whole batch in one statement: live prompts, ended answers, and nothing for a record SQLite refused', () => {
    open().close();
    store = null;
    const db = new Database(file);
    try {
      const statements = new WriteStatements();
      const run = createRunner(db);
      const ops = [
        statements.build('live', { kind: 'insert', rec: makeRecord({ id: 'live', startedAt: 1_000, outcome: 'in_progress', conversation: prompt('walrus live'), responseText: 'hidden narwhal' }) }),
        statements.build('done', { kind: 'insert', rec: makeCompletedRecord({ id: 'done', startedAt: 2_000, conversation: prompt('walrus done'), responseText: 'shown narwhal' }) }),
        statements.build('bad', { kind: 'insert', rec: makeCompletedRecord({ id: 'bad', startedAt: 3_000, conversation: prompt('walrus bad'), responseText: 'narwhal' }) }),
      ];
      // A value SQLite refuses (NOT NULL): the batch is retried one record at a time.
      ops[2]!.stmts[0]![1][1] = null;
      const result = run(unpackArgs(ops));
      expect(result.ok && result.rejected).toEqual([{ id: 'bad', message: expect.stringMatching(/NOT NULL/) }]);
      const match = (q: string) => db.prepare('SELECT r.id FROM request_search s JOIN requests r ON r.rowid = s.rowid WHERE request_search MATCH ? ORDER BY r.id').pluck().all(q);
      expect(match('walrus')).toEqual(['done', 'live']);
      expect(match('narwhal')).toEqual(['done']);
      // the ended record's patch rewrites its entry, the answer included
      expect(run(unpackArgs([statements.build('live', { kind: 'update', patch: { outcome: 'completed', responseText: 'hidden narwhal' }, final: true })])).ok).toBe(true);
      expect(match('narwhal')).toEqual(['done', 'live']);
      expect(db.prepare('SELECT count(*) FROM request_search').pluck().get()).toBe(2);
    } finally {
      db.close();
    }
  });
});

describe('the totals', () => {
  it('equal a scan of the rows after inserts, outcome and token changes, and deletes', async () => {
    const s = open();
    s.insert(makeCompletedRecord({ id: 'a', startedAt: 1_000, usage: usage(10, 5), timings: timings(100) }));
    s.insert(makeCompletedRecord({ id: 'b', startedAt: 2_000, truncated: true, usage: usage(3, 4), timings: timings(300) }));
    s.insert(makeRecord({ id: 'c', startedAt: 3_000, outcome: 'in_progress' }));
    s.insert(makeRecord({ id: 'd', startedAt: 8_000, outcome: 'timeout', timings: timings(200) }));
    s.flush();
    expect(s.summary({})).toEqual(scanned(s));
    expect(s.summary({})).toMatchObject({ requests: 4, truncated: 1, inputTokens: 13, outputTokens: 9, medianTtftMs: 200 });

    s.update('c', { outcome: 'client_aborted', usage: usage(7, 0), timings: timings(50) });
    s.flush();
    expect(s.summary({})).toEqual(scanned(s));
    expect(s.summary({}).byOutcome).toMatchObject({ in_progress: 0, client_aborted: 1 });

    await s.applyRetention({ olderThan: 2_500, maxBytes: null });
    expect(s.summary({})).toEqual(scanned(s));
    expect(s.summary({})).toMatchObject({ requests: 2, inputTokens: 7, medianTtftMs: 125 });
  });
});

describe('migrations 0005 and 0006', () => {
  it('make the records of an older database searchable and counted, leaving their rows byte for byte', async () => {
    // A database as the release before it left it: 0000 to 0002 applied.
    const db = new Database(file);
    migrateUpTo(db, dir, '0002_backfill_turns_sessions');
    const main = db.prepare(
      `insert into requests (id, started_at, upstream, upstream_url, api, method, path, stream, outcome, evidence, prompt, model, input_tokens, ttft_ms, error_message, truncated)
       values (?, ?, 'openai', 'https://api.openai.com/v1/responses', 'responses', 'POST', '/v1/responses', 1, ?, '{}', ?, 'gpt-5', ?, ?, ?, ?)`,
    );
    const bodies = db.prepare(
      `insert into request_bodies (id, request_headers, request_body_text, response_headers, response_text, response_reasoning, tool_calls, events)
       values (?, '{}', ?, '{}', ?, ?, ?, '[]')`,
    );
    main.run('old-1', 1_000, 'completed', 'explain the quokka', 12, 80, null, 1);
    bodies.run('old-1', '{"input":"explain the quokka"}', 'A small marsupial. Ünïcödé ✓', 'think', '[{"id":"t","name":"web_search","arguments":"{\\"q\\":\\"quokka\\"}"}]');
    main.run('old-2', 2_000, 'upstream_error', null, null, null, 'Overloaded', 0);
    bodies.run('old-2', '', '', '', '[]');
    main.run('old-3', 3_000, 'in_progress', 'still going', 5, null, null, 0);
    bodies.run('old-3', '', 'partial marsupial', '', '[]');
    // Migrations 0003 and 0004 change the event log's and the request body's columns by
    // design (their own tests prove those conversions): every other column stays as it was.
    const rowsOf = (d: Database.Database) =>
      (d.prepare('select * from requests r join request_bodies b on b.id = r.id order by r.id').all() as Record<string, unknown>[]).map((r) => {
        const { events: _e, event_log: _l, event_times: _t, request_body_text: _b, request_body_segments: _s, answer_in_log: inLog, ...rest } = r;
        // 0006: an older row keeps its stored answer
        if (inLog !== undefined) expect(inLog).toBe(0);
        return rest;
      });
    const before = rowsOf(db);
    db.close();

    const s = open();
    // indexed after opening (search-backlog.ts), not by the migration
    expect(await s.searchBacklog()).toEqual({ rowids: 3, complete: true });
    expect(ids(s, { text: 'quokka' })).toEqual(['old-1']);
    expect(ids(s, { text: 'marsupial' })).toEqual(['old-1']); // old-3's answer waits for its end
    expect(ids(s, { text: 'web_search' })).toEqual(['old-1']);
    expect(ids(s, { text: 'overloaded' })).toEqual(['old-2']);
    expect(ids(s, { text: 'still' })).toEqual(['old-3']);
    expect(ids(s, { text: 'gpt' })).toEqual(['old-1', 'old-2', 'old-3']);
    expect(s.summary({})).toEqual(scanned(s));
    expect(s.summary({})).toMatchObject({ requests: 3, truncated: 1, inputTokens: 17, medianTtftMs: 80 });
    s.close();
    store = null;

    const after = new Database(file, { readonly: true });
    try {
      expect(rowsOf(after)).toEqual(before);
      // the index 0006 rebuilt keeps which records hold a word, not where
      expect(after.prepare("select sql from sqlite_master where name = 'request_search'").pluck().get()).toMatch(/detail=none/);
    } finally {
      after.close();
    }
  });

  it('keys entries by rowids that VACUUM keeps', () => {
    const s = open();
    for (let i = 0; i < 300; i++) s.insert(makeCompletedRecord({ id: `r${String(i).padStart(3, '0')}`, startedAt: 1_000 + i, responseText: `answer word${i}` }));
    s.flush();
    s.close();
    store = null;
    const db = new Database(file);
    try {
      db.exec("delete from requests where cast(substr(id, 2) as integer) % 3 = 0; vacuum");
    } finally {
      db.close();
    }
    const reopened = open();
    expect(ids(reopened, { text: 'word200' })).toEqual(['r200']);
    expect(ids(reopened, { text: 'word201' })).toEqual([]);
    expect(reopened.count({ text: 'answer' })).toBe(200);
  });
});

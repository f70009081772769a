// The conversion of request bodies an older Streamtap stored whole (before migration
// 0004) to segments (core/db/segment-backlog.ts): old rows read back as they were
// before, during and after it; it runs in batches and resumes where it stopped.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKLOG_BODIES, convertSegmentBacklog } from '../../src-main/core/db/segment-backlog.js';
import { defaultMigrationsFolder, openStore, type Store } from '../../src-main/core/db/store.js';
import { createRunner, type WriteOp, type WriteResult } from '../../src-main/core/db/write-runner.js';
import { AGENT_BODIES } from '../fixtures/agent-bodies.js';

let dir: string;
let store: Store | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-backlog-'));
});
afterEach(() => {
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

const ROWS = 2 * BACKLOG_BODIES + 50;

const texts = new Map<number, string>();
/** The texts of the old rows: agent bodies of every tool and turn, and edge cases. */
function oldText(i: number): string {
  let t = texts.get(i);
  if (t === undefined) texts.set(i, (t = buildOldText(i)));
  return t;
}

function buildOldText(i: number): string {
  const builders = Object.values(AGENT_BODIES);
  if (i % 10 === 7) return '';
  if (i % 10 === 8) return `not json ${i} ${'é🚀'.repeat(100)}`;
  if (i % 10 === 9) return builders[i % 3]!(i % 5).slice(0, 3_000 + i);
  return builders[i % 3]!(i % 6);
}

/** A database as the release before storage v2 (0003, 0004) left it, holding ROWS records. */
function oldDatabase(): string {
  const folder = join(dir, 'migrations-before-0003');
  cpSync(defaultMigrationsFolder(), folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.filter((e) => e.tag < '0003') }));
  const file = join(dir, 'old.db');
  const db = new Database(file);
  migrate(drizzle({ client: db }), { migrationsFolder: folder });
  const req = db.prepare(
    `insert into requests (id, started_at, upstream, upstream_url, api, method, path, stream, outcome, evidence, turn_id)
     values (?, ?, 'anthropic', 'https://api.anthropic.com/v1/messages', 'messages', 'POST', '/v1/messages', 1, 'completed', '{}', ?)`,
  );
  const bodies = db.prepare(
    `insert into request_bodies (id, request_headers, request_body_text, request_body_bytes, response_headers, tool_calls, events)
     values (?, '{}', ?, ?, '{}', '[]', '[]')`,
  );
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const id = `old-${String(i).padStart(4, '0')}`;
      req.run(id, 1_700_000_000_000 + i, id);
      bodies.run(id, oldText(i), Buffer.byteLength(oldText(i)));
    }
  })();
  db.close();
  return file;
}

function peek<T>(file: string, query: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(query).all() as T[];
  } finally {
    db.close();
  }
}

/** Every segment's refs equals the number of bodies whose list names it. */
const REFS_MISMATCHES = `
  select count(*) as n from request_segments s
  where s.refs != (select count(*) from request_bodies b where b.request_body_segments is not null
    and exists (select 1 from json_each(b.request_body_segments) j where j.type = 'integer' and j.value = s.id))`;

describe('the segment backlog', () => {
  it('converts the bodies an older Streamtap stored whole when a writable store opens; each reads back the same before and after', async () => {
    const file = oldDatabase();
    store = openStore({ path: file });
    // Before the first batch (it starts after openStore returns): read from the old column.
    for (const i of [0, 7, 8, 9, 13]) expect(store.get(`old-${String(i).padStart(4, '0')}`)!.requestBody.text).toBe(oldText(i));
    expect(await store.segmentBacklog()).toEqual({ converted: ROWS, complete: true });
    for (let i = 0; i < ROWS; i++) {
      const id = `old-${String(i).padStart(4, '0')}`;
      expect(store.get(id)!.requestBody.text === oldText(i), id).toBe(true);
    }
    let n = 0;
    for (const r of store.iterate({})) expect(r.requestBody.text === oldText(n++)).toBe(true);
    expect(n).toBe(ROWS);
    store.close();
    store = null;
    expect(peek<{ n: number }>(file, "select count(*) as n from request_bodies where request_body_segments is null or request_body_text != ''")[0]!.n).toBe(0);
    expect(peek<{ n: number }>(file, REFS_MISMATCHES)[0]!.n).toBe(0);
    // the bodies share their parts: far fewer segments than bodies times their messages
    expect(peek<{ n: number }>(file, 'select count(*) as n from request_segments')[0]!.n).toBeLessThan(ROWS);

    store = openStore({ path: file });
    expect(await store.segmentBacklog()).toEqual({ converted: 0, complete: true });
  });

  it('writes in batches of at most BACKLOG_BODIES and, stopped in between, resumes where it stopped', async () => {
    const file = oldDatabase();
    // The migrations as a writable open runs them, without a store (and its own backlog).
    const db = new Database(file);
    migrate(drizzle({ client: db }), { migrationsFolder: defaultMigrationsFolder() });
    const run = createRunner(db);
    const batches: number[] = [];
    const write = (ops: WriteOp[]): Promise<WriteResult> => {
      batches.push(ops.length);
      return Promise.resolve(run(ops));
    };
    try {
      let stop = false;
      const first = await convertSegmentBacklog(db, (ops) => write(ops).finally(() => (stop = true)), () => stop);
      expect(first).toEqual({ converted: BACKLOG_BODIES, complete: false });
      const rest = await convertSegmentBacklog(db, write, () => false);
      expect(rest).toEqual({ converted: ROWS - BACKLOG_BODIES, complete: true });
      expect(batches).toEqual([BACKLOG_BODIES, BACKLOG_BODIES, ROWS - 2 * BACKLOG_BODIES]);
      expect(db.prepare(REFS_MISMATCHES).pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});

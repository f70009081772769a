import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync, writeSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestBodies, requests, requestSegments } from '../../src-main/core/db/schema.js';
import { defaultMigrationsFolder, openStore, RECORDER_LOCKED, StoreOpenError } from '../../src-main/core/db/store.js';
import { makeRecord } from '../fixtures/store-records.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-migrations-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function inspect(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const columns = (table: string) =>
      (db.prepare(`pragma table_info(${table})`).all() as { name: string; notnull: number; pk: number }[])
        .map((c) => ({ name: c.name, notNull: c.notnull === 1 || c.pk === 1 }))
        .sort((a, b) => a.name.localeCompare(b.name));
    const indexes = (db.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'").all() as { name: string }[])
      .map((r) => r.name)
      .sort();
    const applied = (db.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n;
    return { requests: columns('requests'), bodies: columns('request_bodies'), indexes, applied };
  } finally {
    db.close();
  }
}

function declared(table: typeof requests | typeof requestBodies) {
  return getTableConfig(table)
    .columns.map((c) => ({ name: c.name, notNull: c.notNull || c.primary }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('migrations', () => {
  it('ship a journal whose every entry has its SQL file', () => {
    const folder = defaultMigrationsFolder();
    const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
      dialect: string;
      entries: { tag: string }[];
    };
    expect(journal.dialect).toBe('sqlite');
    expect(journal.entries.length).toBeGreaterThan(0);
    for (const e of journal.entries) expect(existsSync(join(folder, `${e.tag}.sql`))).toBe(true);
  });

  it('create exactly the tables, columns and indexes schema.ts declares (run drizzle-kit generate after a schema change)', () => {
    const file = join(dir, 'fresh.db');
    openStore({ path: file }).close();
    const got = inspect(file);
    expect(got.requests).toEqual(declared(requests));
    expect(got.bodies).toEqual(declared(requestBodies));
    // a column's unique() is an index named as drizzle-kit names it
    const uniques = getTableConfig(requestSegments).columns.filter((c) => c.isUnique).map((c) => `request_segments_${c.name}_unique`);
    const indexNames = [...getTableConfig(requests).indexes, ...getTableConfig(requestBodies).indexes]
      .map((i) => i.config.name)
      .concat(uniques)
      .sort();
    expect(got.indexes).toEqual(indexNames);
  });

  it('are applied once: reopening keeps the data and adds nothing', () => {
    const file = join(dir, 'again.db');
    const rec = makeRecord();
    const first = openStore({ path: file });
    first.insert(rec);
    first.close();
    const appliedOnce = inspect(file).applied;
    const second = openStore({ path: file });
    try {
      expect(second.get(rec.id)).toEqual(rec);
    } finally {
      second.close();
    }
    expect(inspect(file).applied).toBe(appliedOnce);
  });

  it('can be read from another folder (a bundled build copies them next to its code)', () => {
    const copy = join(dir, 'out', 'main', 'migrations');
    cpSync(defaultMigrationsFolder(), copy, { recursive: true });
    const store = openStore({ path: join(dir, 'bundled.db'), migrationsFolder: copy });
    store.close();
    expect(inspect(join(dir, 'bundled.db')).requests.length).toBeGreaterThan(0);
  });

  it('missing from the given folder give a StoreOpenError naming the folder', () => {
    const missing = join(dir, 'no-migrations');
    expect(() => openStore({ path: join(dir, 'x.db'), migrationsFolder: missing })).toThrow(StoreOpenError);
    expect(() => openStore({ path: join(dir, 'x.db'), migrationsFolder: missing })).toThrow(missing);
  });

  it("are not applied to another application's SQLite file, which is refused and left untouched", () => {
    const file = join(dir, 'other-app.db');
    const other = new Database(file);
    other.exec("create table requests (url text); insert into requests values ('https://example.com')");
    other.close();
    expect(() => openStore({ path: file })).toThrow(
      new StoreOpenError(`${file} is not a Streamtap database (it holds other tables: requests)`, file, null),
    );
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare("select name from sqlite_master where type = 'table'").pluck().all()).toEqual(['requests']);
    } finally {
      check.close();
    }
  });

  it('refuse a database a newer Streamtap has migrated past them', () => {
    const file = join(dir, 'future.db');
    openStore({ path: file }).close();
    const db = new Database(file);
    db.prepare('insert into __drizzle_migrations (hash, created_at) values (?, ?)').run('future', Date.now() + 10 * 365 * 86_400_000);
    db.close();
    expect(() => openStore({ path: file })).toThrow(/written by a newer version of Streamtap/);
  });

  it('give rows recorded before sessions existed a turn of their own and the inferred session they were shown in', () => {
    // A database as the first release left it: only 0000_init applied.
    const first = join(dir, 'migrations-0000');
    cpSync(defaultMigrationsFolder(), first, { recursive: true });
    const journalFile = join(first, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }));
    const file = join(dir, 'old.db');
    const db = new Database(file);
    migrate(drizzle({ client: db }), { migrationsFolder: first });
    const insert = db.prepare(
      `insert into requests (id, started_at, ended_at, client, credential_fingerprint, session_id, upstream, upstream_url, api, method, path, stream, outcome, evidence)
       values (?, ?, ?, ?, ?, ?, 'openai', 'https://api.openai.com/v1/chat/completions', 'chat.completions', 'POST', '/v1/chat/completions', 1, 'completed', '{}')`,
    );
    const min = 60_000;
    insert.run('a', 0, 1_000, 'OpenAI/JS 6.3.0', 'k1', null);
    insert.run('b', 10 * min, 11 * min, 'OpenAI/JS 6.3.0', 'k1', null); // 10 minutes later: same session
    insert.run('c', 42 * min, 43 * min, 'OpenAI/JS 6.3.0', 'k1', null); // 31 minutes after b ended: a new one
    insert.run('d', 5 * min, 6 * min, 'OpenAI/JS 6.3.0', 'k2', null); // another key
    insert.run('e', 7 * min, 8 * min, 'Claude Code 2.0.14', 'k1', 'cc-1'); // a session header
    db.close();

    const store = openStore({ path: file });
    try {
      const got = Object.fromEntries(store.list({}, { limit: 10 }).map((r) => [r.id, [r.sessionId, r.sessionInferred, r.turnId, r.attempt]]));
      expect(got).toEqual({
        a: ['inferred:a', true, 'a', 1],
        b: ['inferred:a', true, 'b', 1],
        c: ['inferred:c', true, 'c', 1],
        d: ['inferred:d', true, 'd', 1],
        e: ['cc-1', false, 'e', 1],
      });
    } finally {
      store.close();
    }
    expect(inspect(file).requests).toEqual(declared(requests));
  });

  it('convert the JSON events of rows recorded before the event log, which read back identical', () => {
    // A database as the release before the event log left it: 0000-0002 applied.
    const old = join(dir, 'migrations-0002');
    cpSync(defaultMigrationsFolder(), old, { recursive: true });
    const journalFile = join(old, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    expect(journal.entries[3]).toMatchObject({ tag: '0003_event_log' });
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, 3) }));
    const file = join(dir, 'events.db');
    const db = new Database(file);
    migrate(drizzle({ client: db }), { migrationsFolder: old });
    const events = [
      { t: 120.4, event: 'message_start', data: '{"type":"message_start","message":{"id":"msg_1"}}' },
      { t: 340, event: null, data: '{"choices":[{"delta":{"content":"é 😀 \\n"}}]}' },
      { t: 341.5, event: null, data: 'two\nlines\n' },
      { t: 400, event: 'ping', data: '' },
      { t: 4900, event: null, data: '[DONE]' },
    ];
    const insert = db.prepare(
      `insert into requests (id, started_at, upstream, upstream_url, api, method, path, stream, outcome, evidence, turn_id)
       values (?, 0, 'openai', 'https://api.openai.com/v1/chat/completions', 'chat.completions', 'POST', '/v1/chat/completions', 1, 'completed', '{}', ?)`,
    );
    const body = db.prepare(`insert into request_bodies (id, request_headers, response_headers, tool_calls, events) values (?, '{}', '{}', '[]', ?)`);
    insert.run('with', 'with');
    body.run('with', JSON.stringify(events));
    insert.run('none', 'none');
    body.run('none', '[]');
    db.close();

    const store = openStore({ path: file });
    try {
      expect(store.get('with')!.events).toEqual(events);
      expect(store.get('none')!.events).toEqual([]);
    } finally {
      store.close();
    }
    const after = new Database(file, { readonly: true });
    try {
      // The converted row keeps TEXT (uncompressed SSE, JSON times); the reader goes by the storage class.
      expect(after.prepare(`select typeof(event_log) as log, typeof(event_times) as times from request_bodies where id = 'with'`).get()).toEqual({ log: 'text', times: 'text' });
      expect(after.prepare(`select typeof(event_log) as log from request_bodies where id = 'none'`).get()).toEqual({ log: 'null' });
    } finally {
      after.close();
    }
    expect(inspect(file).bodies).toEqual(declared(requestBodies));
  });

  it('store new event logs compressed, as BLOBs', () => {
    const file = join(dir, 'blob.db');
    const store = openStore({ path: file });
    const rec = makeRecord({ events: [{ t: 1, event: 'message_start', data: '{"type":"message_start"}' }, { t: 2.5, event: null, data: '[DONE]' }] });
    store.insert(rec);
    store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare(`select typeof(event_log) as log, typeof(event_times) as times from request_bodies`).get()).toEqual({ log: 'blob', times: 'blob' });
    } finally {
      db.close();
    }
    const again = openStore({ path: file });
    try {
      expect(again.get(rec.id)!.events).toEqual(rec.events);
    } finally {
      again.close();
    }
  });

  it('leave a foreign file byte for byte as it was: no switch to WAL, no lock file', () => {
    const file = join(dir, 'rollback.db');
    const other = new Database(file);
    other.pragma('journal_mode = DELETE');
    other.exec("create table notes (body text); insert into notes values ('mine')");
    other.close();
    const before = sha(file);
    expect(() => openStore({ path: file })).toThrow(/is not a Streamtap database \(it holds other tables: notes\)/);
    expect(() => openStore({ path: file, readOnly: true })).toThrow(/is not a Streamtap database/);
    expect(sha(file)).toBe(before);
    expect(readFileSync(file).subarray(18, 20)).toEqual(Buffer.from([1, 1])); // still a rollback-journal file
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A Streamtap database with one record, closed (its WAL checkpointed into the file). */
function streamtapDb(name: string): string {
  const file = join(dir, name);
  const store = openStore({ path: file });
  store.insert(makeRecord());
  store.close();
  return file;
}

function openError(run: () => unknown): StoreOpenError {
  try {
    run();
  } catch (e) {
    if (e instanceof StoreOpenError) return e;
    throw e;
  }
  throw new Error('expected a StoreOpenError');
}

describe('a corrupted database', () => {
  const damage: [string, (file: string) => void][] = [
    [
      'its migration history lost (a migration would re-create existing tables)',
      (file) => {
        const db = new Database(file);
        db.exec('delete from __drizzle_migrations');
        db.close();
      },
    ],
    [
      'garbage over its schema page',
      (file) => {
        const fd = openSync(file, 'r+');
        writeSync(fd, Buffer.alloc(3_000, 0xa5), 0, 3_000, 100);
        closeSync(fd);
      },
    ],
    ['cut short', (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
  ];
  it.each(damage)('%s: "the database is corrupted", and the file is left as it was', (_name, hurt) => {
    const file = streamtapDb('hurt.db');
    hurt(file);
    const before = sha(file);
    for (const readOnly of [false, true]) {
      const err = openError(() => openStore({ path: file, readOnly }));
      expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the database is corrupted \\(.+\\)\\. Streamtap left it as it was`));
      expect(err.message).not.toMatch(/already exists|migrations .* failed/);
    }
    expect(sha(file)).toBe(before);
  });
});

describe('opening read-only (export, tail, sessions)', () => {
  it('reads a database without writing to it, migrating it or taking the lock', () => {
    const file = streamtapDb('read.db');
    const before = sha(file);
    const recorder = openStore({ path: file });
    try {
      const reader = openStore({ path: file, readOnly: true });
      try {
        expect(reader.count({})).toBe(1);
        reader.insert(makeRecord());
        expect(reader.status().dropped).toBe(1);
      } finally {
        reader.close();
      }
    } finally {
      recorder.close();
    }
    expect(sha(file)).toBe(before);
    expect(() => openStore({ path: join(dir, 'absent.db'), readOnly: true })).toThrow(/There is no Streamtap database at/);
    expect(existsSync(join(dir, 'absent.db'))).toBe(false);
  });
});

describe('one recorder per database', () => {
  it('refuses a second recorder with a message a user can act on, and lets one in once the first closed', () => {
    const file = join(dir, 'shared.db');
    const first = openStore({ path: file });
    const rec = makeRecord({ outcome: 'in_progress' });
    first.insert(rec);
    first.flush();
    const err = openError(() => openStore({ path: file }));
    expect(err.code).toBe(RECORDER_LOCKED);
    expect(err.message).toBe(
      `Another Streamtap (the desktop app or "streamtap serve") is already recording to ${file}. Quit it first, or record to another database file.`,
    );
    // The first recorder's live row was not touched by the refused one.
    expect(first.get(rec.id)!.outcome).toBe('in_progress');
    first.close();
    const second = openStore({ path: file });
    second.close();
  });

  it('is not blocked by a recorder that was killed with SIGKILL', async () => {
    const file = join(dir, 'killed.db');
    const root = join(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import('./src-main/core/db/store.ts').then((m) => { m.openStore({ path: ${JSON.stringify(file)} }); process.stdout.write('locked\\n'); setInterval(() => {}, 1000); })`],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => c.toString().includes('locked') && resolve());
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it held the lock`)));
      });
      expect(openError(() => openStore({ path: file })).code).toBe(RECORDER_LOCKED);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    openStore({ path: file }).close();
  }, 30_000);
});


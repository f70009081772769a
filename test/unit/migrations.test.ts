import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestBodies, requests } from '../../src-main/core/db/schema.js';
import { defaultMigrationsFolder, openStore, StoreOpenError } from '../../src-main/core/db/store.js';
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
    const indexNames = [...getTableConfig(requests).indexes, ...getTableConfig(requestBodies).indexes]
      .map((i) => i.config.name)
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
});

// Retention: by age and by total size, deleted in batches on the writer thread, oldest
// first, and the file given back to the file system (incremental vacuum).

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';

let dir: string;
let file: string;
let store: Store | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-retention-'));
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

function peek<T>(query: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(query).all() as T[];
  } finally {
    db.close();
  }
}

const onDisk = () => statSync(file).size + (() => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
})();

/** Text SQLite cannot share pages between: every record's body is its own. */
const body = (i: number, bytes: number) => {
  const word = `r${i}-`;
  return { text: word.repeat(Math.ceil(bytes / word.length)).slice(0, bytes), bytes, truncated: false };
};

describe('retention by age', () => {
  it('deletes records started before the cutoff with their bodies, never one in progress', async () => {
    const s = open();
    s.insert(makeCompletedRecord({ id: 'old-1', startedAt: 1_000 }));
    s.insert(makeCompletedRecord({ id: 'old-2', startedAt: 2_000 }));
    s.insert(makeRecord({ id: 'old-live', startedAt: 3_000, outcome: 'in_progress' }));
    s.insert(makeCompletedRecord({ id: 'new', startedAt: 5_000 }));
    s.flush();
    const r = await s.applyRetention({ olderThan: 5_000, maxBytes: null });
    expect(r).toMatchObject({ deleted: 2, complete: true });
    expect(peek<{ id: string }>('select id from requests order by id').map((x) => x.id)).toEqual(['new', 'old-live']);
    expect(peek<{ id: string }>('select id from request_bodies order by id').map((x) => x.id)).toEqual(['new', 'old-live']);
  });
});

describe('retention by size', () => {
  it('deletes the oldest records first until the database is under its limit, and the file shrinks', async () => {
    const s = open();
    const n = 60;
    for (let i = 0; i < n; i++) s.insert(makeCompletedRecord({ id: `r${String(i).padStart(3, '0')}`, startedAt: 10_000 + i, requestBody: body(i, 200_000) }));
    s.flush();
    const before = onDisk();
    expect(before).toBeGreaterThan(11_000_000);
    const limit = 4 * 1024 * 1024;

    const r = await s.applyRetention({ olderThan: null, maxBytes: limit });
    expect(r.complete).toBe(true);
    // about as many as needed to get under 90 % of the limit: not the whole batch
    expect(r.deleted).toBeGreaterThan(35);
    expect(r.deleted).toBeLessThan(50);
    const ids = peek<{ id: string }>('select id from requests order by started_at').map((x) => x.id);
    expect(ids.length).toBe(n - r.deleted);
    // the newest are the ones kept
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => `r${String(n - ids.length + k).padStart(3, '0')}`));
    expect(peek<{ n: number }>('select count(*) as n from request_bodies')[0]!.n).toBe(ids.length);
    // The pages were given back: the file and its WAL are under the limit now.
    const after = onDisk();
    expect(after).toBeLessThan(limit);
    expect(after).toBeGreaterThan(limit / 2);
    expect(r.bytesBefore).toBe(before);
    expect(r.bytesAfter).toBe(after);
    expect(s.sizeOnDisk()).toBe(after);
    expect(peek<{ freelist_count: number }>('pragma freelist_count')[0]!.freelist_count).toBe(0);

    // Under the limit, a second run deletes nothing.
    await expect(s.applyRetention({ olderThan: null, maxBytes: limit })).resolves.toMatchObject({ deleted: 0, complete: true });
  });

  it('never deletes a record in progress, however old', async () => {
    const s = open();
    s.insert(makeRecord({ id: 'live', startedAt: 1, outcome: 'in_progress', requestBody: body(0, 300_000) }));
    for (let i = 1; i <= 10; i++) s.insert(makeCompletedRecord({ id: `done-${i}`, startedAt: 100 + i, requestBody: body(i, 300_000) }));
    s.flush();
    const r = await s.applyRetention({ olderThan: null, maxBytes: 1024 * 1024 });
    expect(r.deleted).toBeGreaterThan(0);
    expect(peek<{ id: string }>("select id from requests where id = 'live'")).toHaveLength(1);
  });
});

describe('incremental vacuum', () => {
  it('is on for a new database', () => {
    open().close();
    store = null;
    expect(peek<{ auto_vacuum: number }>('pragma auto_vacuum')[0]!.auto_vacuum).toBe(2);
  });

  it("is never switched on in another application's SQLite file: refused, byte for byte as it was", () => {
    const other = new Database(file);
    other.exec("create table notes (text text); insert into notes values ('mine')");
    other.close();
    const bytes = readFileSync(file);
    expect(() => open()).toThrow(/is not a Streamtap database/);
    store = null;
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(peek<{ auto_vacuum: number }>('pragma auto_vacuum')[0]!.auto_vacuum).toBe(0);
  });

  it('is switched on once (VACUUM) for a database an older Streamtap made, keeping its records', () => {
    const s = open();
    s.insert(makeCompletedRecord({ id: 'kept' }));
    for (let i = 0; i < 20; i++) s.insert(makeCompletedRecord({ id: `more-${i}`, requestBody: body(i, 100_000) }));
    s.close();
    store = null;
    // What an older Streamtap left: auto_vacuum NONE.
    const raw = new Database(file);
    raw.pragma('auto_vacuum = NONE');
    raw.exec('VACUUM');
    expect(raw.pragma('auto_vacuum', { simple: true })).toBe(0);
    raw.close();

    const before = onDisk();
    const again = open();
    expect(peek<{ auto_vacuum: number }>('pragma auto_vacuum')[0]!.auto_vacuum).toBe(2);
    expect(again.get('kept')?.id).toBe('kept');
    // The rewrite is back in the file, not left doubling it in the WAL.
    expect(before).toBeGreaterThan(2_000_000);
    expect(onDisk()).toBeLessThan(before * 1.1);
  });
});

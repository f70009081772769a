// How a batch of the store's writes is applied (write-runner.ts, the same code on the
// writer thread and inline), and how long texts cross to that thread (writer-protocol.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunner, type WriteOp } from '../../src-main/core/db/write-runner.js';
import { packArgs, unpackArgs } from '../../src-main/core/db/writer-protocol.js';

const dbs: Database.Database[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function table(file = ':memory:'): Database.Database {
  const db = new Database(file, { timeout: 0 });
  dbs.push(db);
  db.exec('CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  return db;
}

const insert = (id: string, n: unknown): WriteOp => ({ id, stmts: [['INSERT INTO t (id, n) VALUES (?, ?)', [id, n]]] });
const rows = (db: Database.Database) => db.prepare('SELECT id, n FROM t ORDER BY id').all();

describe('createRunner', () => {
  it('writes a batch in one transaction and counts the rows it changed', () => {
    const db = table();
    const run = createRunner(db);
    expect(run([insert('a', 1), insert('b', 2), { id: 'a', stmts: [['UPDATE t SET n = n + 1', []]] }])).toEqual({ ok: true, rejected: [], changes: 4 });
    expect(rows(db)).toEqual([{ id: 'a', n: 2 }, { id: 'b', n: 3 }]);
  });

  it('rejects only the record SQLite refuses, with all of its statements, and writes the others', () => {
    const db = table();
    const run = createRunner(db);
    const bad: WriteOp = { id: 'bad', stmts: [['INSERT INTO t (id, n) VALUES (?, ?)', ['bad', 1]], ['INSERT INTO t (id, n) VALUES (?, ?)', ['bad2', null]]] };
    const r = run([insert('a', 1), bad, insert('c', 3)]);
    // The count includes the rejected record's first statement, rolled back since (as
    // the runner says): deleteOlderThan, the one caller that reads it, rejects nothing.
    expect(r).toMatchObject({ ok: true, changes: 3 });
    expect(r.ok && r.rejected.map((x) => x.id)).toEqual(['bad']);
    expect(r.ok && r.rejected[0]!.message).toMatch(/NOT NULL/);
    expect(rows(db)).toEqual([{ id: 'a', n: 1 }, { id: 'c', n: 3 }]);
    // A value the driver cannot bind is the record's fault too.
    const r2 = run([insert('d', { not: 'bindable' }), insert('e', 5)]);
    expect(r2.ok && r2.rejected.map((x) => x.id)).toEqual(['d']);
    expect(rows(db)).toContainEqual({ id: 'e', n: 5 });
  });

  it('fails the whole batch, writing nothing, when the fault is not a record’s', () => {
    const db = table();
    const run = createRunner(db);
    const r = run([insert('a', 1), { id: 'b', stmts: [['INSERT INTO missing_table VALUES (?)', [1]]] }]);
    expect(r).toMatchObject({ ok: false, code: 'SQLITE_ERROR' });
    expect(!r.ok && r.message).toMatch(/no such table/);
    expect(rows(db)).toEqual([]);
  });

  it('reports a database another connection holds as busy, before writing anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamtap-runner-'));
    dirs.push(dir);
    const file = join(dir, 'db.sqlite');
    const db = table(file);
    const other = table(file);
    other.exec('BEGIN IMMEDIATE');
    const r = createRunner(db)([insert('a', 1)]);
    expect(r).toMatchObject({ ok: false, code: 'SQLITE_BUSY' });
    other.exec('ROLLBACK');
    expect(rows(db)).toEqual([]);
  });
});

describe('long texts to the writer thread', () => {
  it('cross as transferable UTF-8 bytes and come back as the same strings; short ones stay strings', () => {
    const long = 'é'.repeat(40_000) + '😀'.repeat(20_000);
    const ops: WriteOp[] = [{ id: 'a', stmts: [['X', ['short', long, 7, null]]] }];
    const transfer = packArgs(ops);
    expect(transfer).toHaveLength(1);
    const args = ops[0]!.stmts[0]![1];
    expect(args[0]).toBe('short');
    expect(args[1]).toMatchObject({ utf8: expect.any(Uint8Array) });
    expect(transfer[0]!.byteLength).toBeGreaterThanOrEqual(Buffer.byteLength(long));
    expect(unpackArgs(ops)[0]!.stmts[0]![1]).toEqual(['short', long, 7, null]);
  });

  it('cross a brotli argument as a copy of its bytes (the caller keeps its buffer) and compress it where it is bound', () => {
    const log = new Uint8Array(Buffer.from('data: {"x":1}\n\n'.repeat(500)));
    const size = log.byteLength;
    const view = log.subarray(0, 15 * 300);
    const ops: WriteOp[] = [{ id: 'a', stmts: [['X', [{ brotli: view }]]] }];
    const transfer = packArgs(ops);
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).not.toBe(log.buffer);
    expect(log.byteLength).toBe(size); // not detached
    const bound = unpackArgs(ops)[0]!.stmts[0]![1][0] as Buffer;
    expect(Buffer.isBuffer(bound)).toBe(true);
    expect(bound.length).toBeLessThan(view.length / 10);
    expect(brotliDecompressSync(bound).equals(Buffer.from(view))).toBe(true);
  });
});

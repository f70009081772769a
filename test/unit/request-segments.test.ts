// Request bodies stored as segments (core/db/request-segments.ts): the scanner that cuts
// them, the byte-for-byte round trip through every way a body is read back (the record,
// the body alone, the exports), the sharing that makes a session's turns cheap, and the
// reference counts that free what retention deletes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { prepareGet } from '../../src-main/core/db/queries.js';
import { defaultMigrationsFolder, openStore, type Store } from '../../src-main/core/db/store.js';
import { WriteStatements } from '../../src-main/core/db/write-statements.js';
import { createRunner, type WriteOp } from '../../src-main/core/db/write-runner.js';
import { toHarEntry } from '../../src-main/core/export/har.js';
import { jsonValueRanges } from '../../src-main/core/recorder/request-sniff.js';
import { AgentSession } from '../../bench/workloads.js';
import { AGENT_BODIES, claudeCodeBody } from '../fixtures/agent-bodies.js';
import { makeRecord } from '../fixtures/store-records.js';

let dir: string;
let store: Store | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-segments-'));
});
afterEach(() => {
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

const file = () => join(dir, 'streamtap.db');
const open = (): Store => (store = openStore({ path: file(), flushIntervalMs: 60_000 }));
const body = (text: string) => ({ text, bytes: Buffer.byteLength(text), truncated: false });

function peek<T>(query: string, ...args: unknown[]): T[] {
  const db = new Database(file(), { readonly: true });
  try {
    return db.prepare(query).all(...args) as T[];
  } finally {
    db.close();
  }
}

const slices = (text: string) => {
  const r = jsonValueRanges(text);
  const out: string[] = [];
  for (let k = 0; k < r.length; k += 2) out.push(text.slice(r[k], r[k + 1]));
  return out;
};

/** Bodies that are hard to cut or to give back: every one must come back exactly. */
const EDGE_BODIES: [string, string][] = [
  ['empty', ''],
  ['blanks only', ' \n\t '],
  ['not JSON', 'model=gpt-5&stream=true&' + 'q=long+form+text+'.repeat(20)],
  ['a JSON array at the top', JSON.stringify([{ role: 'user', content: 'x'.repeat(300) }, { role: 'user', content: 'y'.repeat(300) }])],
  ['an empty object', '{}'],
  ['pretty-printed', JSON.stringify(JSON.parse(claudeCodeBody(2)), null, 2) + '\n'],
  ['with a byte-order mark', '\ufeff' + claudeCodeBody(1)],
  ['cut inside a string', claudeCodeBody(3).slice(0, 20_000)],
  ['cut after a backslash', JSON.stringify({ messages: [{ content: 'a\\"b'.repeat(100) }, { content: 'z'.repeat(200) }] }).slice(0, 150)],
  ['escapes at element edges', JSON.stringify({ messages: ['"', '\\', '\\"', '\n\u0000\u001f', 'q'.repeat(200) + '\\'], tools: [{ name: '}]', d: '{['.repeat(100) }] })],
  ['unicode in keys and values', JSON.stringify({ 'clé 流': ['🚀'.repeat(100), 'é'.repeat(200)], messages: [{ content: '👩‍💻 שלום '.repeat(30) }] })],
  ['numbers and literals at the top', '{"max_tokens":32000,"stream":true,"x":null,"t":-1.5e-3,"messages":[1,true,null,"' + 'n'.repeat(200) + '"]}'],
  ['trailing garbage', claudeCodeBody(0) + '}}garbage'],
  ['unterminated object', '{"messages":[{"role":"user","content":"' + 'u'.repeat(300) + '"}]'],
];

describe('the segment scanner', () => {
  it('cuts a JSON object at its top-level values and the elements of its arrays', () => {
    expect(slices('{"a":1,"m":[{"x":[1,{"y":2}]},"s"],"o":{"k":[1]},"e":[]}')).toEqual(['1', '{"x":[1,{"y":2}]}', '"s"', '{"k":[1]}']);
    expect(slices('{\n  "a": "q\\"}",\n  "m": [\n    {"x": 1} ,\n    true\n  ]\n}\n')).toEqual(['"q\\"}"', '{"x": 1}', 'true']);
  });

  it('gives the rest as one part where the text stops being the JSON it expects', () => {
    expect(slices('hello')).toEqual(['hello']);
    expect(slices('[1,2]')).toEqual(['[1,2]']);
    expect(slices('{"m":[{"x":1},{"y":"ab')).toEqual(['{"x":1}', ',{"y":"ab']);
    expect(slices('{"a":"b" "c":1}')).toEqual(['"b"', '"c":1}']);
    expect(slices('')).toEqual([]);
    expect(slices('{}')).toEqual([]);
  });

  it('reports ordered ranges inside the text for every prefix of an agent body', () => {
    const text = claudeCodeBody(2);
    for (let end = 0; end <= text.length; end += 97) {
      const r = jsonValueRanges(text.slice(0, end));
      for (let k = 0; k < r.length; k += 2) {
        expect(r[k]!).toBeGreaterThanOrEqual(k === 0 ? 0 : r[k - 1]!);
        expect(r[k + 1]!).toBeGreaterThan(r[k]!);
        expect(r[k + 1]!).toBeLessThanOrEqual(end);
      }
    }
  });
});

describe('request bodies stored as segments', () => {
  it('come back byte for byte from get(), requestBody() and the export, for every agent body and every edge case', async () => {
    const s = open();
    const texts = new Map<string, string>();
    for (const [tool, build] of Object.entries(AGENT_BODIES)) for (let t = 0; t < 4; t++) texts.set(`${tool} turn ${t}`, build(t));
    for (const [name, text] of EDGE_BODIES) texts.set(name, text);
    const ids = new Map<string, string>();
    let n = 0;
    for (const [name, text] of texts) {
      const rec = makeRecord({ id: `b${String(n++).padStart(3, '0')}`, requestBody: body(text) });
      ids.set(name, rec.id);
      s.insert(rec);
    }
    expect(await s.written()).toBe(true);
    const exported = new Map<string, RequestRecord>();
    for (const r of s.iterate({})) exported.set(r.id, r);
    for (const [name, text] of texts) {
      const id = ids.get(name)!;
      expect(s.get(id)!.requestBody.text, name).toBe(text);
      expect(s.requestBody(id)!.text, name).toBe(text);
      expect(exported.get(id)!.requestBody.text, name).toBe(text);
      expect(toHarEntry(exported.get(id)!).request.postData?.text ?? '', name).toBe(text);
    }
    // stored as segments (none whole in the old column), and the agent bodies split
    expect(peek<{ n: number }>("select count(*) as n from request_bodies where request_body_segments is null or request_body_text != ''")[0]!.n).toBe(0);
    expect(peek<{ n: number }>('select count(*) as n from request_segments')[0]!.n).toBeGreaterThan(20);
  });

  it('store a lone surrogate as U+FFFD, as the single column did', async () => {
    const s = open();
    const text = JSON.stringify({ a: 'x' }).slice(0, -1) + ',"b":"\ud800"}';
    s.insert(makeRecord({ id: 'lone', requestBody: { text: JSON.parse(`"${text.replace(/"/g, '\\"')}"`) as string, bytes: 20, truncated: false } }));
    await s.written();
    expect(s.get('lone')!.requestBody.text).toBe('{"a":"x","b":"\ufffd"}');
  });

  it('come back after an update that sets the body, and the replaced segments are freed', async () => {
    const s = open();
    const first = claudeCodeBody(1);
    s.insert(makeRecord({ id: 'u', requestBody: body(first) }));
    await s.written();
    const before = peek<{ id: number }>('select id from request_segments').map((r) => r.id);
    const second = JSON.stringify({ model: 'other', messages: ['m'.repeat(500)] });
    s.update('u', { requestBody: body(second) });
    await s.written();
    expect(s.get('u')!.requestBody.text).toBe(second);
    const after = peek<{ id: number; refs: number }>('select id, refs from request_segments');
    expect(after.every((r) => r.refs === 1)).toBe(true);
    expect(after.some((r) => before.includes(r.id))).toBe(false);
    expect(peek<{ n: number }>('select count(*) as n from request_segment_texts')[0]!.n).toBe(after.length);
  });

  it('keep a 50-turn agent session in at most 15% of the bytes it sent', async () => {
    const s = open();
    const session = new AgentSession(7, 50);
    let sent = 0;
    const texts: string[] = [];
    for (let t = 0; !session.done; t++) {
      const text = session.next();
      texts.push(text);
      sent += Buffer.byteLength(text);
      s.insert(makeRecord({ id: `turn-${String(t).padStart(2, '0')}`, requestBody: body(text) }));
      // one write per turn, as the proxy writes them
      expect(await s.written()).toBe(true);
    }
    for (let t = 0; t < texts.length; t++) expect(s.get(`turn-${String(t).padStart(2, '0')}`)!.requestBody.text === texts[t]).toBe(true);
    const [{ stored }] = peek<{ stored: number }>(
      `select (select sum(length(cast(request_body_text as blob)) + length(cast(request_body_segments as blob))) from request_bodies)
        + (select sum(length(text)) from (select cast(text as blob) as text from request_segment_texts))
        + (select count(*) * 24 from request_segments) as stored`,
    ) as [{ stored: number }];
    expect(stored / sent).toBeLessThan(0.15);
  });
});

describe('segment reference counts', () => {
  it('hold when a batch is retried record by record after one record failed (its segments rolled back with it)', () => {
    const db = new Database(':memory:');
    try {
      db.pragma('foreign_keys = ON');
      migrate(drizzle({ client: db }), { migrationsFolder: defaultMigrationsFolder() });
      const statements = new WriteStatements();
      const run = createRunner(db);
      const a = statements.build('a', { kind: 'insert', rec: makeRecord({ id: 'a', requestBody: body(claudeCodeBody(1)) }) });
      const b = statements.build('b', { kind: 'insert', rec: makeRecord({ id: 'b', requestBody: body(claudeCodeBody(2)) }) });
      // NOT NULL columns left out: SQLite refuses this record, after `a` wrote its segments
      const bad: WriteOp = { id: 'bad', stmts: [['INSERT INTO request_bodies (id) VALUES (?)', ['bad']]] };
      const r = run([a, bad, b]);
      expect(r.ok && r.rejected.map((x) => x.id)).toEqual(['bad']);
      const get = prepareGet(drizzle({ client: db }));
      expect(get('a')!.requestBody.text).toBe(claudeCodeBody(1));
      expect(get('b')!.requestBody.text).toBe(claudeCodeBody(2));
      const mismatched = db
        .prepare(
          `select count(*) from request_segments s where s.refs != (select count(*) from request_bodies b
            where exists (select 1 from json_each(b.request_body_segments) j where j.type = 'integer' and j.value = s.id))`,
        )
        .pluck()
        .get();
      expect(mismatched).toBe(0);
    } finally {
      db.close();
    }
  });

  it('free the segments of deleted records that no other body lists, and keep the shared ones', async () => {
    const s = open();
    // turn 2 repeats turn 1's messages and adds its own
    s.insert(makeRecord({ id: 'old', startedAt: 1_000, outcome: 'completed', requestBody: body(claudeCodeBody(1)) }));
    s.insert(makeRecord({ id: 'new', startedAt: 5_000, outcome: 'completed', requestBody: body(claudeCodeBody(2)) }));
    await s.written();
    const refs = () => new Map(peek<{ id: number; refs: number }>('select id, refs from request_segments').map((r) => [r.id, r.refs]));
    const listed = (id: string) => new Set((JSON.parse(peek<{ l: string }>('select request_body_segments as l from request_bodies where id = ?', id)[0]!.l) as unknown[]).filter((v): v is number => typeof v === 'number'));
    const oldIds = listed('old');
    const newIds = listed('new');
    const shared = [...oldIds].filter((i) => newIds.has(i));
    expect(shared.length).toBeGreaterThan(3);
    expect([...oldIds].some((i) => !newIds.has(i))).toBe(true);
    for (const i of shared) expect(refs().get(i)).toBe(2);

    const r = await s.applyRetention({ olderThan: 2_000, maxBytes: null });
    expect(r.deleted).toBe(1);
    const left = refs();
    expect(new Set(left.keys())).toEqual(newIds);
    for (const v of left.values()) expect(v).toBe(1);
    expect(peek<{ n: number }>('select count(*) as n from request_segment_texts')[0]!.n).toBe(newIds.size);
    expect(s.get('new')!.requestBody.text).toBe(claudeCodeBody(2));

    await s.applyRetention({ olderThan: 10_000, maxBytes: null });
    expect(peek<{ n: number }>('select (select count(*) from request_segments) + (select count(*) from request_segment_texts) as n')[0]!.n).toBe(0);
  });
});

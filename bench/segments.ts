// A measurement, not a test: what the request bodies of an agent session cost on disk
// now that a turn keeps only what is new (core/db/request-segments.ts), and what the
// writer thread spends splitting a body. The session is bench/workloads.ts's
// AgentSession (50 turns growing to SESSION_FINAL_BYTES), written through a file store
// one turn per write, as the proxy writes it; sizes come from SQLite's dbstat (payload
// bytes of each table and index), so page slack is left out as in the main bench.
//
//   npx tsx bench/segments.ts [--turns N] [--repeat N]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openStore } from '../src-main/core/db/store.js';
import { defaultMigrationsFolder } from '../src-main/core/db/open-database.js';
import { SegmentWriter } from '../src-main/core/db/request-segments.js';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { AgentSession, SESSION_TURNS } from './workloads.js';
import { recordFixture } from '../test/fixtures/records.js';

const { values } = parseArgs({ options: { turns: { type: 'string' }, repeat: { type: 'string' } } });
const turns = Number(values.turns ?? SESSION_TURNS);
const repeat = Number(values.repeat ?? 50);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-bench-segments-'));
// The store's writer thread and timers are unref'd (a CLI command must be able to exit):
// something has to keep this script alive while it waits for them.
const keepAlive = setInterval(() => undefined, 60_000);
try {
  // ---- stored bytes of a session -----------------------------------------------------
  const file = path.join(dir, 'streamtap.db');
  const store = openStore({ path: file, flushIntervalMs: 60_000 });
  const session = new AgentSession(7, turns);
  const bodies: string[] = [];
  let sent = 0;
  for (let t = 0; !session.done; t++) {
    const text = session.next();
    bodies.push(text);
    sent += Buffer.byteLength(text);
    store.insert(recordFixture({ id: `turn-${t}`, startedAt: 1_700_000_000_000 + t, requestBody: { text, bytes: Buffer.byteLength(text), truncated: false } }));
    if (!(await store.written())) throw new Error('a write failed');
  }
  store.close();
  const db = new Database(file, { readonly: true });
  const payload = new Map((db.prepare('select name, payload from dbstat where aggregate = true').all() as { name: string; payload: number }[]).map((r) => [r.name, r.payload]));
  const lists = (db.prepare('select sum(length(cast(request_body_segments as blob))) as n from request_bodies').get() as { n: number }).n;
  const segments = (db.prepare('select count(*) as n from request_segments').get() as { n: number }).n;
  db.close();
  const segmentBytes = (payload.get('request_segments') ?? 0) + (payload.get('request_segments_hash_unique') ?? 0) + (payload.get('request_segment_texts') ?? 0);
  const stored = segmentBytes + lists;

  // ---- writer CPU per body --------------------------------------------------------------
  // On a connection of its own, as the writer thread has: the last (largest) body, first
  // into an empty store (every segment new), then again (every segment known: a turn's
  // usual case, where only the newest messages are new).
  const mem = new Database(':memory:');
  migrate(drizzle({ client: mem }), { migrationsFolder: defaultMigrationsFolder() });
  const writer = new SegmentWriter(mem);
  const last = bodies[bodies.length - 1]!;
  const t0 = performance.now();
  mem.transaction(() => writer.store(last))();
  const firstMs = performance.now() - t0;
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  mem.transaction(() => {
    for (let i = 0; i < repeat; i++) writer.store(last);
  })();
  const againMs = (performance.now() - t1) / repeat;
  const cpu = process.cpuUsage(cpu0);
  mem.close();

  const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
  const out = {
    turns: bodies.length,
    bytesSent: sent,
    lastBodyBytes: Buffer.byteLength(last),
    requestStoredBytes: stored,
    storedRatio: stored / sent,
    segments,
    segmentTableBytes: segmentBytes,
    segmentListBytes: lists,
    writerMsFirstStore: firstMs,
    writerMsPerKnownBody: againMs,
    writerCpuMsPerKnownBody: (cpu.user + cpu.system) / 1000 / repeat,
  };
  process.stdout.write(
    `agent session: ${out.turns} turns, ${kb(sent)} of request bodies sent (last ${kb(out.lastBodyBytes)})\n` +
      `  stored for them: ${kb(stored)} = ${(out.storedRatio * 100).toFixed(1)}% of the bytes sent (target <= 15%)\n` +
      `    ${segments} segments, ${kb(segmentBytes)} (texts, hashes, index); segment lists in the rows ${kb(lists)}\n` +
      `  writer, the ${kb(out.lastBodyBytes)} body: ${firstMs.toFixed(2)} ms into an empty store, ${againMs.toFixed(2)} ms (${out.writerCpuMsPerKnownBody.toFixed(2)} ms CPU) when its segments are known\n` +
      JSON.stringify(out) +
      '\n',
  );
} finally {
  clearInterval(keepAlive);
  fs.rmSync(dir, { recursive: true, force: true });
}

// Durability: kill -9 the headless process mid-stream, start it again, and find the
// request `interrupted` with the partial text it had streamed and the events stored so
// far (the event log is written every EVENTS_STORE_MS while live).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startFakeUpstream, scenarioHeader, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { openStore } from '../../src-main/core/db/store.js';
import { waitUntil } from '../fixtures/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
let fake: FakeUpstream | null = null;
let dir = '';

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
  await fake?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `streamtap serve` in plain Node; resolves with its URL from the "listening" line. */
function serve(db: string, upstream: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/headless/cli.ts', 'serve', '--port', '0', '--db', db, '--upstream', `openai=${upstream}`, '--upstream', `anthropic=${upstream}`, '--no-dashboard'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

it('a SIGKILL mid-stream leaves the row interrupted with the partial text after restart', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-crash-'));
  const db = path.join(dir, 'crash.db');
  fake = await startFakeUpstream();
  const first = await serve(db, fake.url);

  const res = await fetch(`${first.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 200, chunkDelayMs: 25 }) },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  const deadline = Date.now() + 10_000;
  while ((received.match(/text_delta/g) ?? []).length < 12 && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    received += decoder.decode(value, { stream: true });
  }
  // Wait until a checkpoint with some of the text and the event log so far is in the
  // file (checkpoints every 200 ms, the log every 2 s, flushed within 50 ms), then kill
  // without warning.
  await waitUntil('a checkpoint with partial text and events', () => {
    const reader = openStore({ path: db, readOnly: true, lock: false });
    try {
      const [row] = reader.list({}, { limit: 1 });
      const rec = row && reader.get(row.id);
      return !!rec && rec.responseText.length > 5 && rec.events.length > 0;
    } finally {
      reader.close();
    }
  });
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  await reader.read().catch(() => undefined);

  const second = await serve(db, fake.url);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));

  const store = openStore({ path: db });
  try {
    const [row] = store.list({}, { limit: 10 });
    expect(row).toBeDefined();
    const rec = store.get(row!.id)!;
    expect(rec.outcome).toBe('interrupted');
    expect(rec.responseText.length).toBeGreaterThan(5);
    const texts = [...received.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string).join('');
    // What was checkpointed is a prefix of what the client saw (it may have seen a little more).
    expect(texts.startsWith(rec.responseText) || rec.responseText.startsWith(texts)).toBe(true);
    expect(rec.diagnosis).toMatch(/Streamtap stopped/);
    // Whole events, in order, with their times: the timing chart of an interrupted record.
    expect(rec.events.length).toBeGreaterThan(0);
    expect(rec.events.length).toBeLessThan(200);
    expect(rec.events[0]!.event).toBe('message_start');
    for (const e of rec.events) expect(() => JSON.parse(e.data) as unknown).not.toThrow();
    const times = rec.events.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(rec.endedAt).not.toBeNull();
  } finally {
    store.close();
  }
}, 60_000);

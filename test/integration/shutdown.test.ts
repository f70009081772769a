// Stopping `npm run streamtap -- serve` the way a supervisor does: a signal to the
// process it started (npm). The first signal stops accepting at once, lets streams in
// flight finish for up to the drain timeout, records the rest `interrupted` and exits
// 0; a second one stops at once. Real processes, signalled by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { openStream, portAcceptsConnections } from '../fixtures/streams.js';
import { openStore } from '../../src-main/core/db/store.js';
import { waitUntil } from '../fixtures/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let child: ChildProcess | null = null;
let fake: FakeUpstream | null = null;
let dir = '';

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  await fake?.close();
  fake = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** `npm run streamtap -- serve …` as documented; resolves once it listens. */
async function serve(drainSeconds: number): Promise<{ url: string; port: number; db: string; stderr: () => string; exited: Promise<number | null> }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-stop-'));
  fake = await startFakeUpstream();
  const db = path.join(dir, 'stop.db');
  child = spawn(
    'npm',
    ['run', '--silent', 'streamtap', '--', 'serve', '--port', '0', '--db', db, '--no-dashboard', '--upstream', `openai=${fake.url}`, '--upstream', `anthropic=${fake.url}`, '--drain-timeout', String(drainSeconds)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 30_000);
    child!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { url, port: Number(new URL(url).port), db, stderr: () => err, exited };
}

async function portIsFree(port: number): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function records(db: string) {
  const store = openStore({ path: db, readOnly: true });
  try {
    return store.list({}, { limit: 10 }).map((s) => store.get(s.id)!);
  } finally {
    store.close();
  }
}

it('SIGTERM to npm: stops accepting at once, lets a stream in flight finish, records a stalled one interrupted, exits 0', async () => {
  const s = await serve(2);
  // One stream held until the port has closed, then let go to finish within the drain;
  // one that stays stalled until the drain timeout.
  const finishing = await openStream(s.url, { chunks: 12, stallAfterEvents: 4, stallUntil: 'after-sigterm', text: 'finishing in time ' });
  const stalled = await openStream(s.url, { chunks: 10, stallAfterEvents: 3 });
  await fake!.waitForStall('after-sigterm');
  const signalledAt = Date.now();
  child!.kill('SIGTERM');
  // The port stops accepting right away, while the streams go on.
  await waitUntil('the port to refuse connections', async () => !(await portAcceptsConnections(s.port)), { timeoutMs: 2_000 });
  fake!.release('after-sigterm');
  const done = await finishing.rest;
  expect(done.broken).toBe(false);
  expect(done.text).toContain('data: [DONE]');
  const cut = await stalled.rest;
  expect(cut.broken || !cut.text.includes('[DONE]')).toBe(true);
  expect(await s.exited).toBe(0);
  expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(1_900);
  expect(await portIsFree(s.port)).toBe(true);
  expect(s.stderr()).toMatch(/SIGTERM, stopping: waiting up to 2 s for 2 requests in flight/);

  const recs = records(s.db);
  expect(recs.map((r) => r.outcome).sort()).toEqual(['completed', 'interrupted']);
  const interrupted = recs.find((r) => r.outcome === 'interrupted')!;
  expect(interrupted.eventCount).toBe(3);
  expect(interrupted.diagnosis).toMatch(/^Streamtap was shut down while this request was in flight \(after waiting 2(\.\d)? s for it to finish\), after 3 events; the partial answer was kept\.$/);
}, 60_000);

it('a second SIGINT stops at once, without waiting out the drain timeout', async () => {
  const s = await serve(60);
  const stalled = await openStream(s.url, { chunks: 10, stallAfterEvents: 2 });
  child!.kill('SIGINT');
  // Wait for the first one to be taken (it prints a line), then send the second.
  await waitUntil('the first SIGINT to be taken', () => /SIGINT, stopping/.test(s.stderr()));
  // Time is the input here: a signal within 300 ms of the first is the same Ctrl-C
  // (REPEATED_SIGNAL_MS in cli.ts: npm and the shell both forward it), so the second
  // keypress must come later than that.
  await new Promise((r) => setTimeout(r, 400));
  const secondAt = Date.now();
  child!.kill('SIGINT');
  expect(await s.exited).toBe(0);
  expect(Date.now() - secondAt).toBeLessThan(10_000);
  await stalled.rest;
  expect(s.stderr()).toMatch(/SIGINT again, stopping now/);
  const [rec] = records(s.db);
  expect(rec!.outcome).toBe('interrupted');
  expect(await portIsFree(s.port)).toBe(true);
}, 60_000);

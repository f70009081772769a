// The desktop app's core host, over a real core on a temporary database: a port in use
// at start is reported in the status (not thrown), new settings apply in place (a new
// port rebinds the proxy) without losing a record or a stream in flight, and settings
// that cannot be applied leave the previous configuration running.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveEvent } from '../../src-main/common/contract.js';
import type { Settings } from '../../src-main/common/settings.js';
import { configFromSettings, createCoreHost, type CoreHost } from '../../src-main/electron/core-host.js';
// A port nothing listens on: free to move to (or, as an upstream, refusing).
import { startFakeUpstream, startRefusingPort as freePort } from '../fixtures/fake-upstream.js';
import { openStream } from '../fixtures/streams.js';
import { waitUntil } from '../fixtures/wait.js';

vi.mock('electron', () => ({}));

let dir: string;
let host: CoreHost | null = null;
const blockers: net.Server[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-host-'));
});
afterEach(async () => {
  await host?.stop();
  host = null;
  for (const b of blockers.splice(0)) await new Promise<void>((r) => b.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A port something else already listens on. */
async function busyPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  blockers.push(srv);
  return (srv.address() as net.AddressInfo).port;
}

async function makeHost(port: number, deadUpstream: number) {
  const settingsFile = path.join(dir, 'settings.json');
  const events: LiveEvent[] = [];
  const config = configFromSettings(
    { port, upstreams: { openai: `http://127.0.0.1:${deadUpstream}`, anthropic: `http://127.0.0.1:${deadUpstream}` } },
    path.join(dir, 'streamtap.db'),
  );
  host = createCoreHost(config, {
    settingsFile,
    push: (e) => events.push(e),
    exportRun: async () => ({ status: 'canceled' }),
    liveIntervalMs: 10,
  });
  return { host, events, settingsFile };
}

/** One request through the proxy; the upstream refuses, so it is recorded as unreachable. */
async function proxiedRequest(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
  await res.arrayBuffer();
  return res.status;
}

async function recordCount(h: CoreHost): Promise<number> {
  const { records } = await h.handlers['requests.list']({ filter: {}, limit: 100 });
  return records.length;
}

describe('core host', () => {
  it('reports a port in use as the status problem instead of failing to start', async () => {
    const port = await busyPort();
    const { host: h } = await makeHost(port, await freePort());
    const status = await h.start();
    expect(status.listening).toBe(false);
    expect(status.problem).toMatch(new RegExp(`port ${port} .*already in use`));
    // the desktop app has no flags: the way out is its Settings view
    expect(status.problem).toMatch(/choose another port in Settings$/);
    expect(status.problem).not.toContain('--port');
    expect(status.runtime).toBe('electron');
  });

  it('applies a new port through settings.set: the proxy moves, records stay, paused carries over', async () => {
    const dead = await freePort();
    const first = await busyPort();
    const { host: h, settingsFile } = await makeHost(first, dead);
    await h.start();
    const second = await freePort();
    const settings: Settings = { ...(await h.handlers['settings.get']({})), port: second };
    await h.handlers['settings.set'](settings);
    const status = await h.handlers['status.get']({});
    expect(status).toMatchObject({ listening: true, port: second, problem: null });
    expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).port).toBe(second);

    expect(await proxiedRequest(second)).toBe(502);
    await vi.waitFor(async () => expect(await recordCount(h)).toBe(1));

    // Pause, then change the port again: the record survives and recording stays paused.
    await h.handlers['recording.setPaused']({ paused: true });
    const third = await freePort();
    await h.handlers['settings.set']({ ...settings, port: third });
    const after = await h.handlers['status.get']({});
    expect(after).toMatchObject({ listening: true, port: third, paused: true });
    await vi.waitFor(async () => expect(await recordCount(h)).toBe(1));
    const { records: list } = await h.handlers['requests.list']({ filter: {}, limit: 10 });
    expect(list[0]).toMatchObject({ path: '/v1/models', outcome: 'upstream_unreachable' });
  });

  it('keeps the previous configuration running when the new port is in use', async () => {
    const dead = await freePort();
    const port = await freePort();
    const { host: h, settingsFile } = await makeHost(port, dead);
    await h.start();
    fs.writeFileSync(settingsFile, JSON.stringify({ port }));
    const taken = await busyPort();
    await expect(h.handlers['settings.set']({ ...(await h.handlers['settings.get']({})), port: taken })).rejects.toMatchObject({ code: 'invalid_settings' });
    const status = await h.handlers['status.get']({});
    expect(status).toMatchObject({ listening: true, port, problem: null });
    expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).port).toBe(port);
    expect(await proxiedRequest(port)).toBe(502);
  });

  it('a stream in flight across new timeouts, then a new port, completes and is recorded completed', async () => {
    const fake = await startFakeUpstream();
    try {
      const port = await freePort();
      const { host: h } = await makeHost(port, await freePort());
      await h.start();
      const upstreams = { openai: fake.url, anthropic: fake.url };
      await h.handlers['settings.set']({ ...(await h.handlers['settings.get']({})), upstreams });
      const stream = await openStream(`http://127.0.0.1:${port}`, { chunks: 8, stallAfterEvents: 3, stallUntil: 'electron-settings', text: 'the desktop keeps it ' });
      await fake.waitForStall('electron-settings');

      const before = await h.handlers['settings.get']({});
      const timeouts = { ...before.timeouts, headersMs: before.timeouts.headersMs + 1_000, idleMs: before.timeouts.idleMs + 1_000 };
      await h.handlers['settings.set']({ ...before, timeouts });
      const next = await freePort();
      await h.handlers['settings.set']({ ...before, timeouts, port: next });
      expect(await h.handlers['status.get']({})).toMatchObject({ listening: true, port: next, live: 1 });

      fake.release('electron-settings');
      const done = await stream.rest;
      expect(done).toMatchObject({ broken: false });
      expect(done.text).toContain('data: [DONE]');
      const [rec] = await waitUntil('the stream to be recorded', async () => {
        const { records } = await h.handlers['requests.list']({ filter: { outcome: ['completed'] }, limit: 10 });
        return records.length === 1 ? records : null;
      });
      const full = await h.handlers['requests.get']({ id: rec!.id });
      expect(full).toMatchObject({ outcome: 'completed', responseText: 'the desktop keeps it ' });
    } finally {
      await fake.close();
    }
  });

  it('pushes coalesced live events for the running core, also after a port change', async () => {
    const dead = await freePort();
    const port = await freePort();
    const { host: h, events } = await makeHost(port, dead);
    await h.start();
    const next = await freePort();
    await h.handlers['settings.set']({ ...(await h.handlers['settings.get']({})), port: next });
    events.length = 0;
    await proxiedRequest(next);
    await vi.waitFor(() => {
      const finished = events.flatMap((e) => (e.type === 'records' ? e.changes : [])).filter((c) => c.kind === 'finished');
      expect(finished).toHaveLength(1);
    });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'status' && e.status.requestsToday === 1)).toBe(true));
  });
});

// Settings apply in place (settings.set on the core's api, the one apply path of
// headless and the desktop app): a stream in flight across a change of timeouts, then of the port,
// finishes on the connection it started on and is recorded completed; the old port
// takes no new connection, the new one takes the new requests.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Settings } from '../../src-main/common/settings.js';
import { resolveConfig } from '../../src-main/core/config.js';
import { createCore } from '../../src-main/core/create-core.js';
import { createDashboardHandler, type DashboardHandler } from '../../src-main/headless/dashboard/index.js';
// A port nothing listens on: free to move to (or, as an upstream, refusing).
import { startFakeUpstream, startRefusingPort as freePort } from '../fixtures/fake-upstream.js';
import { openStream, portAcceptsConnections } from '../fixtures/streams.js';
import { rawRequest, startHarness, type Harness } from './harness.js';
import net from 'node:net';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

it('headless settings.set: a stream in flight across new timeouts and a new port completes and is recorded completed', async () => {
  h = await startHarness();
  const settingsFile = path.join(h.dir, 'settings.json');
  const api = h.core.api;
  const oldPort = Number(new URL(h.url).port);

  const stream = await openStream(h.url, { chunks: 8, stallAfterEvents: 3, stallUntil: 'across-settings', text: 'kept across the change ' });
  await h.fake.waitForStall('across-settings');

  const before = await api['settings.get']({});
  const timeouts = { ...before.timeouts, idleMs: before.timeouts.idleMs + 1_000, connectMs: before.timeouts.connectMs + 1_000 };
  await api['settings.set']({ ...before, timeouts });
  expect((await api['settings.get']({})).timeouts).toEqual(timeouts);
  expect(api['status.get']({}).port).toBe(oldPort);

  const newPort = await freePort();
  await api['settings.set']({ ...before, timeouts, port: newPort });
  expect(api['status.get']({})).toMatchObject({ listening: true, port: newPort, problem: null });
  expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8'))).toMatchObject({ port: newPort, timeouts });
  // The old port takes no new connection, while the stream on it goes on.
  expect(await portAcceptsConnections(oldPort)).toBe(false);

  h.fake.release('across-settings');
  const done = await stream.rest;
  expect(done.broken).toBe(false);
  expect(done.text).toContain('data: [DONE]');
  const [rec] = await h.waitForFinished(1);
  expect(rec).toMatchObject({ outcome: 'completed', responseText: 'kept across the change ' });

  // New requests go to the new port.
  const res = await rawRequest(`http://127.0.0.1:${newPort}`, { method: 'GET', path: '/v1/models' });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  const [, second] = await h.waitForFinished(2);
  expect(second).toMatchObject({ path: '/v1/models', outcome: 'completed' });
});

it('a port that cannot be bound changes nothing: the error names it, the proxy stays where it was', async () => {
  h = await startHarness();
  const oldPort = Number(new URL(h.url).port);
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const taken = (blocker.address() as net.AddressInfo).port;
  try {
    const before = await h.core.api['settings.get']({});
    await expect(h.core.api['settings.set']({ ...before, port: taken, retentionDays: 9 })).rejects.toThrow(new RegExp(`port ${taken} .*already in use`));
    expect(await h.core.api['settings.get']({})).toEqual(before);
    expect(h.core.api['status.get']({})).toMatchObject({ listening: true, port: oldPort, problem: null });
    const res = await rawRequest(h.url, { method: 'GET', path: '/v1/models' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});

it('headless, from the dashboard: the call that moves the port is answered on the old one, the API is on the new one, the old server closes with its event stream', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-move-'));
  const fake = await startFakeUpstream();
  let dashboard: DashboardHandler | null = null;
  const core = createCore(resolveConfig({ dbPath: path.join(dir, 'm.db'), port: 0, upstreams: { openai: fake.url, anthropic: fake.url } }), {
    settingsFile: path.join(dir, 'settings.json'),
    dashboard: (req, res) => dashboard!.handle(req, res),
  });
  try {
    const { url, port: oldPort } = await core.start();
    dashboard = createDashboardHandler(core, { token: 't'.repeat(64) });
    const call = (base: string, channel: string, args: unknown) =>
      fetch(`${base}/__streamtap/api/call/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-streamtap-token': 't'.repeat(64) },
        body: JSON.stringify(args),
      });
    // An open event stream on the old port does not hold it open.
    const events = await fetch(`${url}/__streamtap/api/events?token=${'t'.repeat(64)}`);
    const reader = events.body!.getReader();
    await reader.read();
    const current = ((await (await call(url, 'settings.get', {})).json()) as { result: Settings }).result;
    const newPort = await freePort();
    const moved = await call(url, 'settings.set', { ...current, port: newPort });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { result: Settings }).result.port).toBe(newPort);
    const status = (await (await call(`http://127.0.0.1:${newPort}`, 'status.get', {})).json()) as { result: { port: number; listening: boolean } };
    expect(status.result).toMatchObject({ listening: true, port: newPort });
    // The old server has closed: its event stream ended, and its port refuses connections.
    for (let i = 0; i < 1_000; i++) if ((await reader.read().catch(() => ({ done: true }))).done) break;
    expect(await portAcceptsConnections(oldPort)).toBe(false);
  } finally {
    dashboard?.close();
    await core.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

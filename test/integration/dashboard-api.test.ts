// The headless dashboard on a real core: proxy + recorder + store on a temp SQLite
// file, the fake upstream behind it, the dashboard mounted under /__streamtap on the
// proxy's port. Requests are made with node:http so the test controls every header a
// browser would (or would not) send.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, LiveEvent, RequestPage, SessionDetail, SessionSummary, SetupInfo, TurnAttempts } from '../../src-main/common/contract.js';
import type { Settings } from '../../src-main/common/settings.js';
import type { RequestSummary } from '../../src-main/common/record.js';
import { resolveConfig } from '../../src-main/core/config.js';
import { createCore, type Core } from '../../src-main/core/create-core.js';
import { createDashboardHandler, type DashboardHandler } from '../../src-main/headless/dashboard/index.js';
import { scenarioHeader, startFakeUpstream, type FakeUpstream, type Scenario } from '../fixtures/fake-upstream.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let dir: string;
let fake: FakeUpstream;
let core: Core;
let dashboard: DashboardHandler;
/** what the proxy hands /__streamtap/… to; a test may swap it */
let mounted: DashboardHandler | null = null;
let port: number;
let base: string;
let settingsFile: string;
/** Every dashboard response, whichever test asked for it: never a CORS header, never a
 * stack trace. Checked as each reply arrives, so the test that got it fails. */
function checkDashboardReply(reply: { headers: http.IncomingHttpHeaders; body: string }): void {
  expect(Object.keys(reply.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
  expect(reply.body).not.toMatch(/\n\s+at \S+ \(/);
}

function request(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') };
          try {
            if (pathAndQuery.startsWith('/__streamtap')) checkDashboardReply(reply);
            resolve(reply);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function call(channel: string, args: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(
    'POST',
    `/__streamtap/api/call/${channel}`,
    { 'content-type': 'application/json', 'x-streamtap-token': dashboard.token, ...headers },
    JSON.stringify(args),
  );
}

async function callOk<T>(channel: string, args: unknown): Promise<T> {
  const r = await call(channel, args);
  expect(r.status, r.body).toBe(200);
  const parsed = JSON.parse(r.body) as { ok: true; result: T };
  expect(parsed.ok).toBe(true);
  return parsed.result;
}

function waitForFinished(id?: string, timeoutMs = 10_000): Promise<RequestSummary> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no request finished in time'));
    }, timeoutMs);
    const off = core.live.subscribe(
      (ev) => {
        if (ev.type !== 'records') return;
        const c = ev.changes.find((x) => x.kind === 'finished' && (id === undefined || x.summary.id === id));
        if (!c) return;
        clearTimeout(timer);
        off();
        resolve(c.summary);
      },
      { intervalMs: 0 },
    );
  });
}

/** A streamed chat completion through the proxy; resolves with the record id once finished. */
async function proxiedChat(opts: { scenario?: Scenario; userAgent?: string; headers?: Record<string, string> } = {}): Promise<string> {
  const finished = waitForFinished();
  const r = await request(
    'POST',
    '/v1/chat/completions',
    {
      'content-type': 'application/json',
      authorization: 'Bearer sk-test-SECRET-0123456789abcdef',
      'user-agent': opts.userAgent ?? 'claude-cli/2.0.14 (external, cli)',
      ...(opts.scenario ? scenarioHeader(opts.scenario) : {}),
      ...opts.headers,
    },
    JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'say hello' }] }),
  );
  expect(r.status).toBe(200);
  return (await finished).id;
}

/** Reads an SSE stream until `until` says stop; returns the parsed live events. */
function readSse(
  pathAndQuery: string,
  until: (events: LiveEvent[]) => boolean,
  opts: { headers?: Record<string, string>; timeoutMs?: number; onOpen?: () => void } = {},
): Promise<{ events: LiveEvent[]; headers: http.IncomingHttpHeaders; raw: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: LiveEvent[] = [];
    let raw = '';
    let buffer = '';
    let settled = false;
    const req = http.get(
      { host: '127.0.0.1', port, path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, accept: 'text/event-stream', ...opts.headers }, agent: false },
      (res) => {
        try {
          checkDashboardReply({ headers: res.headers, body: '' });
        } catch (e) {
          settled = true;
          res.resume();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (res.statusCode !== 200) {
          settled = true;
          res.resume();
          reject(new Error(`SSE answered ${res.statusCode}`));
          return;
        }
        const finish = (ended: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req.destroy();
          resolve({ events, headers: res.headers, raw, ended });
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          buffer += chunk;
          let idx: number;
          while ((idx = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, idx);
            buffer = buffer.slice(idx + 2);
            const lines = block.split('\n');
            if (!lines.includes('event: live')) continue;
            const data = lines.find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)) as LiveEvent);
          }
          if (until(events)) finish(false);
        });
        res.on('end', () => finish(true));
        res.on('close', () => finish(true));
        opts.onOpen?.();
      },
    );
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new Error(`SSE: condition not met in time; got ${JSON.stringify(events).slice(0, 2000)}`));
    }, opts.timeoutMs ?? 10_000);
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-dashboard-'));
  // A stand-in for electron-vite's out/renderer: the server must not care what it serves.
  const rendererDir = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Streamtap</title><script type="module" src="./assets/app.js"></script>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("streamtap");');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer folder');
  settingsFile = path.join(dir, 'settings.json');

  fake = await startFakeUpstream();
  const config = resolveConfig({
    dbPath: path.join(dir, 'streamtap.db'),
    port: 0,
    checkpointMs: 20,
    upstreams: { openai: fake.url, anthropic: fake.url },
  });
  core = createCore(config, {
    settingsFile,
    dashboard: (req, res) => {
      if (mounted) mounted.handle(req, res);
      else res.writeHead(404).end();
    },
  });
  dashboard = createDashboardHandler(core, { rendererDir });
  mounted = dashboard;
  const started = await core.start();
  port = started.port;
  base = started.url;
});

afterAll(async () => {
  dashboard?.close();
  await core?.stop();
  await fake?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard URL and the page', () => {
  it('prints a URL on the proxy port with a 64-hex-digit per-launch token', () => {
    expect(dashboard.token).toMatch(/^[0-9a-f]{64}$/);
    expect(dashboard.urlFor(base)).toBe(`${base}/__streamtap/?token=${dashboard.token}`);
  });

  it('serves the page without a token, with a strict CSP and no caching', async () => {
    const r = await request('GET', '/__streamtap/', { 'sec-fetch-site': 'none' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<title>Streamtap</title>');
    expect(r.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('serves assets with their content type', async () => {
    const r = await request('GET', '/__streamtap/assets/app.js');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await request('GET', '/__streamtap/assets/missing.js')).status).toBe(404);
  });

  it('redirects /__streamtap to the folder URL, so relative asset URLs resolve', async () => {
    const bare = await request('GET', '/__streamtap');
    expect(bare.status).toBe(302);
    expect(bare.headers.location).toBe('/__streamtap/');
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const p of ['/__streamtap/..%2fsecret.txt', '/__streamtap/%2e%2e/secret.txt', '/__streamtap/assets/..%2f..%2fsecret.txt', '/__streamtap/../secret.txt']) {
      const r = await request('GET', p);
      expect(r.body, p).not.toContain('outside the renderer folder');
      expect(r.status, p).toBeGreaterThanOrEqual(400);
    }
  });

  it('says to run the build when the renderer is missing', async () => {
    const missing = createDashboardHandler(core, { rendererDir: path.join(dir, 'no-such-build') });
    mounted = missing;
    try {
      const r = await request('GET', '/__streamtap/');
      expect(r.status).toBe(503);
      expect(r.body).toContain('npm run build');
    } finally {
      mounted = dashboard;
      missing.close();
    }
  });
});

describe('the API door', () => {
  let id: string;
  beforeAll(async () => {
    id = await proxiedChat();
  });

  it('refuses a call without the token, or with a wrong one, with 401', async () => {
    const none = await request('POST', '/__streamtap/api/call/requests.list', { 'content-type': 'application/json' }, JSON.stringify({ filter: {}, limit: 10 }));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(none.body).not.toContain(id);
    const wrong = await call('requests.list', { filter: {}, limit: 10 }, { 'x-streamtap-token': 'f'.repeat(64) });
    expect(wrong.status).toBe(401);
    const truncated = await call('requests.list', { filter: {}, limit: 10 }, { 'x-streamtap-token': dashboard.token.slice(0, 63) });
    expect(truncated.status).toBe(401);
  });

  it('does not take the token from the query for calls (it would land in logs and history)', async () => {
    const r = await request(
      'POST',
      `/__streamtap/api/call/requests.list?token=${dashboard.token}`,
      { 'content-type': 'application/json' },
      JSON.stringify({ filter: {}, limit: 10 }),
    );
    expect(r.status).toBe(401);
  });

  it('lists the recorded request with the token', async () => {
    const { records: list } = await callOk<RequestPage>('requests.list', { filter: {}, limit: 10 });
    expect(list.map((s) => s.id)).toContain(id);
    const rec = list.find((s) => s.id === id)!;
    expect(rec.outcome).toBe('completed');
    expect(rec.model).toBe('gpt-test');
  });

  it('refuses a foreign Origin with 403, before the token is even looked at', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${port + 1}`, 'null', `https://127.0.0.1:${port}`]) {
      const r = await call('requests.list', { filter: {}, limit: 10 }, { origin });
      expect(r.status, origin).toBe(403);
      expect(r.body).not.toContain(id);
    }
  });

  it('refuses an Origin that names the other loopback host than the one addressed', async () => {
    const r = await call('requests.list', { filter: {}, limit: 10 }, { origin: `http://localhost:${port}` });
    expect(r.status).toBe(403);
  });

  it('accepts the same origin, as the dashboard page sends it', async () => {
    const r = await call('requests.list', { filter: {}, limit: 10 }, { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(200);
    const viaLocalhost = await call(
      'requests.list',
      { filter: {}, limit: 10 },
      { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' },
    );
    expect(viaLocalhost.status).toBe(200);
  });

  it('refuses cross-site and same-site fetches by Sec-Fetch-Site', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const r = await call('requests.list', { filter: {}, limit: 10 }, { 'sec-fetch-site': site });
      expect(r.status, site).toBe(403);
    }
  });

  it('refuses preflights (OPTIONS) with 403', async () => {
    const r = await request('OPTIONS', '/__streamtap/api/call/requests.list', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-streamtap-token, content-type',
    });
    expect(r.status).toBe(403);
    const sameOrigin = await request('OPTIONS', '/__streamtap/api/call/requests.list', { 'x-streamtap-token': dashboard.token });
    expect(sameOrigin.status).toBe(403);
  });

  it('still refuses a non-loopback Host (DNS rebinding), page or API', async () => {
    for (const p of ['/__streamtap/', '/__streamtap/api/call/status.get']) {
      const r = await request('GET', p, { host: 'attacker.example' });
      expect(r.status, p).toBe(403);
    }
  });

  it('leaves the proxy refusing any Origin on provider paths', async () => {
    const r = await request('POST', '/v1/chat/completions', { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' }, '{}');
    expect(r.status).toBe(403);
  });

  it('asks for JSON bodies, and answers bad ones with a clear invalid_payload', async () => {
    const form = await request(
      'POST',
      '/__streamtap/api/call/recording.setPaused',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-streamtap-token': dashboard.token },
      'paused=true',
    );
    expect(form.status).toBe(415);
    const notJson = await request('POST', '/__streamtap/api/call/status.get', { 'content-type': 'application/json', 'x-streamtap-token': dashboard.token }, '{');
    expect(notJson.status).toBe(400);
    const bad = await call('requests.list', { filter: {}, limit: 0 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ ok: false, error: { code: 'invalid_payload', message: expect.stringMatching(/^requests\.list: limit: /) } });
    const unknown = await call('requests.delete', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    const get = await request('GET', '/__streamtap/api/call/status.get', { 'x-streamtap-token': dashboard.token });
    expect(get.status).toBe(405);
  });
});

describe('the channels over HTTP', () => {
  it('status.get reports the listening proxy and today\'s requests', async () => {
    await proxiedChat();
    const s = await callOk<AppStatus>('status.get', {});
    expect(s).toMatchObject({ listening: true, port, baseUrl: base, paused: false, runtime: 'headless', storeDegraded: false, problem: null });
    expect(s.requestsToday).toBeGreaterThanOrEqual(1);
  });

  it('recording.setPaused pauses and resumes', async () => {
    expect((await callOk<AppStatus>('recording.setPaused', { paused: true })).paused).toBe(true);
    expect(core.api['status.get']({}).paused).toBe(true);
    expect((await callOk<AppStatus>('recording.setPaused', { paused: false })).paused).toBe(false);
  });

  it('requests.get returns the full record, and null for an unknown id', async () => {
    const id = await proxiedChat();
    const rec = await callOk<{ id: string; requestBody: { text: string }; requestHeaders: Record<string, string> } | null>('requests.get', { id });
    expect(rec?.id).toBe(id);
    expect(rec?.requestBody.text).toContain('say hello');
    // the credential never comes back whole
    expect(JSON.stringify(rec)).not.toContain('sk-test-SECRET-0123456789abcdef');
    expect(await callOk('requests.get', { id: 'nope' })).toBeNull();
  });

  it('setup.info names the clients seen without their versions', async () => {
    await proxiedChat({ userAgent: 'claude-cli/2.0.15 (external, cli)' });
    const info = await callOk<SetupInfo>('setup.info', {});
    expect(info.baseUrl).toBe(base);
    expect(info.upstreams).toMatchObject({ openai: fake.url });
    const claude = info.clientsSeen.filter((c) => c.client === 'Claude Code');
    expect(claude).toHaveLength(1);
    expect(claude[0]!.lastSeen).toBeGreaterThan(Date.now() - 60_000);
  });

  it('requests.facets lists models, clients and upstreams', async () => {
    const f = await callOk<{ models: string[]; clients: string[]; upstreams: string[] }>('requests.facets', {});
    expect(f.models).toContain('gpt-test');
    expect(f.upstreams).toContain('openai');
    expect(f.clients.some((c) => c.startsWith('Claude Code'))).toBe(true);
  });

  it('sessions.list groups by session header, and infers the rest by client, credential and conversation', async () => {
    await proxiedChat();
    const first = await proxiedChat({ headers: { 'x-claude-code-session-id': 'sess-42' } });
    const second = await proxiedChat({ headers: { 'x-claude-code-session-id': 'sess-42' } });
    const sessions = await callOk<SessionSummary[]>('sessions.list', { filter: {}, limit: 50 });
    const explicit = sessions.find((s) => s.sessionId === 'sess-42');
    expect(explicit).toMatchObject({ inferred: false, requests: 2, turnCount: 2, title: 'say hello', lastOutcome: 'completed', lastTruncated: false, ending: { kind: 'completed', recordId: second } });
    const inferred = sessions.filter((s) => s.inferred);
    // every header-less request so far re-sent one conversation, from one credential and one tool
    expect(inferred).toHaveLength(1);
    expect(inferred[0]!.requests).toBeGreaterThanOrEqual(1);
    expect(inferred[0]!.sessionId).toMatch(/^inferred:/);
    expect(inferred[0]!.lastOutcome).toBe('completed');
    // one session's turns, and a record's siblings, over HTTP
    const detail = await callOk<SessionDetail>('sessions.get', { id: 'sess-42' });
    expect(detail.turns.map((t) => t.attempts.map((a) => a.recordId))).toEqual([[first], [second]]);
    expect(await callOk<TurnAttempts>('requests.attempts', { id: second })).toMatchObject({ turnId: second, attempts: [{ recordId: second, attempt: 1 }] });
    expect(await callOk('sessions.get', { id: 'no-such-session' })).toBeNull();
    const bad = await call('sessions.list', { filter: { ending: ['exploded'] }, limit: 5 });
    expect(bad.status).toBe(400);
  });

  it('settings.set refuses bad settings with invalid_settings and writes nothing', async () => {
    const current = await callOk<Settings>('settings.get', {});
    expect(current.upstreams).toMatchObject({ openai: fake.url });
    expect(current.port).toBe(port);
    const r = await call('settings.set', { ...current, upstreams: { openai: 'ftp://example.com' } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'invalid_settings', message: expect.stringContaining('openai') } });
    const reserved = await call('settings.set', { ...current, upstreams: { v1: 'https://example.com' } });
    expect(JSON.parse(reserved.body)).toMatchObject({ ok: false, error: { code: 'invalid_settings' } });
    expect(fs.existsSync(settingsFile)).toBe(false);
  });

  it('settings.set writes the settings file, and settings.get shows what was saved', async () => {
    const current = await callOk<Settings>('settings.get', {});
    const next = { ...current, retentionDays: 30 };
    expect(await callOk<Settings>('settings.set', next)).toEqual(next);
    expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8'))).toEqual(next);
    expect(await callOk<Settings>('settings.get', {})).toEqual(next);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('settings.set applies to the running core, and keeps the previous file when applying fails', async () => {
    // A core of its own, with its own settings file, served through the same proxy.
    const file = path.join(dir, 'settings-apply.json');
    fs.writeFileSync(file, JSON.stringify({ retentionDays: 7 }));
    const other = createCore(
      resolveConfig({ dbPath: path.join(dir, 'apply.db'), port: 0, upstreams: { openai: fake.url, anthropic: fake.url } }),
      { settingsFile: file },
    );
    await other.start();
    const withApply = createDashboardHandler(other, { rendererDir: path.join(dir, 'renderer') });
    const current = await other.api['settings.get']({});
    mounted = withApply;
    try {
      // The main core listens on `port`: this one cannot move there.
      const r = await request(
        'POST',
        '/__streamtap/api/call/settings.set',
        { 'content-type': 'application/json', 'x-streamtap-token': withApply.token },
        JSON.stringify({ ...current, port, retentionDays: 1 }),
      );
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({
        ok: false,
        error: {
          code: 'invalid_settings',
          message: `Could not apply the settings (the previous ones are kept): port ${port} on 127.0.0.1 is already in use (another Streamtap, or another program); choose another with --port`,
        },
      });
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ retentionDays: 7 });
      expect(await other.api['settings.get']({})).toEqual(current);

      const ok = await request(
        'POST',
        '/__streamtap/api/call/settings.set',
        { 'content-type': 'application/json', 'x-streamtap-token': withApply.token },
        JSON.stringify({ ...current, retentionDays: 2 }),
      );
      expect(ok.status).toBe(200);
      expect((await other.api['settings.get']({})).retentionDays).toBe(2);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).retentionDays).toBe(2);
    } finally {
      mounted = dashboard;
      withApply.close();
      await other.stop();
    }
  });

  it('export.run is not a call over HTTP and says where the download is', async () => {
    const r = await call('export.run', { filter: {}, format: 'json', exportId: 'x' });
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { message: expect.stringContaining('/__streamtap/api/export') } });
  });
});

describe('the live event stream', () => {
  it('refuses to open without the token', async () => {
    await expect(readSse('/__streamtap/api/events', () => true)).rejects.toThrow(/401/);
  });

  it('starts with the current status, then delivers coalesced records events for a new request', async () => {
    const scenario: Scenario = { chunks: 30, chunkDelayMs: 25 };
    let requestId: string | null = null;
    let done: Promise<string> | null = null;
    const sse = await readSse(
      `/__streamtap/api/events?token=${dashboard.token}`,
      (events) =>
        requestId !== null &&
        events.some((e) => e.type === 'records' && e.changes.some((c) => c.summary.id === requestId && c.kind === 'finished')),
      {
        onOpen: () => {
          done = proxiedChat({ scenario });
          // a failure is reported by `await done` below, not as an unhandled rejection
          done.then((id) => (requestId = id)).catch(() => undefined);
        },
      },
    );
    await done;
    expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers['cache-control']).toBe('no-store');
    expect(sse.events[0]).toMatchObject({ type: 'status', status: { listening: true, runtime: 'headless' } });

    const records = sse.events.filter((e): e is Extract<LiveEvent, { type: 'records' }> => e.type === 'records');
    const mine = records.filter((e) => e.changes.some((c) => c.summary.id === requestId));
    // the core reported many changes for this request (a checkpoint every 20 ms over ~750 ms;
    // each takes the next seq, and it was the only request in flight)…
    const seqs = mine.map((e) => e.changes.find((c) => c.summary.id === requestId)!.seq);
    const coreChanges = seqs.at(-1)! - seqs[0]! + 1;
    expect(coreChanges).toBeGreaterThan(10);
    // …the wire carried a few events, never two entries for one request in one event
    expect(mine.length).toBeLessThan(coreChanges / 2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const e of mine) expect(e.changes.filter((c) => c.summary.id === requestId)).toHaveLength(1);
    const kinds = mine.map((e) => e.changes.find((c) => c.summary.id === requestId)!.kind);
    expect(kinds[0]).toBe('started');
    expect(kinds.at(-1)).toBe('finished');
    const last = mine.at(-1)!.changes.find((c) => c.summary.id === requestId)!.summary;
    expect(last.outcome).toBe('completed');
    expect(last.usage.outputTokens).toBeGreaterThan(0);
  });

  it('is ended by close()', async () => {
    const second = createDashboardHandler(core, { rendererDir: path.join(dir, 'renderer') });
    mounted = second;
    try {
      const r = await readSse(`/__streamtap/api/events?token=${second.token}`, () => false, {
        onOpen: () => setTimeout(() => second.close(), 50),
      });
      expect(r.ended).toBe(true);
      expect(r.events[0]?.type).toBe('status');
    } finally {
      mounted = dashboard;
    }
  });
});

describe('export download', () => {
  it('streams valid JSON with the records, as an attachment', async () => {
    const id = await proxiedChat();
    const filter = encodeURIComponent(JSON.stringify({ model: ['gpt-test'] }));
    const r = await request('GET', `/__streamtap/api/export?format=json&filter=${filter}&token=${dashboard.token}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="streamtap-\d{4}-\d{2}-\d{2}-\d{4}\.json"$/);
    const doc = JSON.parse(r.body) as { formatVersion: number; filters: unknown; records: { id: string }[] };
    expect(doc.formatVersion).toBe(1);
    expect(doc.records.map((x) => x.id)).toContain(id);
    expect(r.body).not.toContain('sk-test-SECRET-0123456789abcdef');
  });

  it('takes the token in the header too, and writes JSON Lines', async () => {
    const r = await request('GET', '/__streamtap/api/export?format=jsonl', { 'x-streamtap-token': dashboard.token });
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toMatch(/\.jsonl"$/);
    const lines = r.body.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('reports progress for an exportId on the live stream, ending with done and the count', async () => {
    let body: Promise<Reply> | null = null;
    const sse = await readSse(
      `/__streamtap/api/events?token=${dashboard.token}`,
      (events) => events.some((e) => e.type === 'export.progress' && e.done),
      { onOpen: () => (body = request('GET', `/__streamtap/api/export?format=jsonl&exportId=exp-1&token=${dashboard.token}`)) },
    );
    const lines = (await body!).body.trim().split('\n').length;
    const final = sse.events.find((e) => e.type === 'export.progress' && e.done);
    expect(final).toEqual({ type: 'export.progress', exportId: 'exp-1', written: lines, done: true });
    const bad = await request('GET', `/__streamtap/api/export?format=json&exportId=${encodeURIComponent('<x>')}&token=${dashboard.token}`);
    expect(bad.status).toBe(400);
  });

  it('refuses without the token, and refuses a bad format or filter with a clear message', async () => {
    expect((await request('GET', '/__streamtap/api/export?format=json')).status).toBe(401);
    const fmt = await request('GET', `/__streamtap/api/export?format=xml&token=${dashboard.token}`);
    expect(fmt.status).toBe(400);
    expect(JSON.parse(fmt.body)).toMatchObject({ ok: false, error: { code: 'invalid_payload', message: expect.stringContaining('json') } });
    const flt = await request('GET', `/__streamtap/api/export?format=json&filter=${encodeURIComponent('{"outcome":["nope"]}')}&token=${dashboard.token}`);
    expect(flt.status).toBe(400);
    expect(JSON.parse(flt.body).error.message).toMatch(/^filter: outcome/);
  });
});

describe('a dashboard response', () => {
  it('that is an error carries no CORS header and no stack trace', async () => {
    const replies = [
      await call('no.such.channel', {}),
      await call('requests.list', { filter: { since: 'yesterday' }, limit: 10 }),
      await request('POST', '/__streamtap/api/call/status.get', { 'content-type': 'application/json', origin: 'https://evil.example' }, '{}'),
      await request('GET', '/__streamtap/api/export?format=json'),
    ];
    expect(replies.map((r) => r.status).every((st) => st >= 400)).toBe(true);
  });
});

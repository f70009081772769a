// The proxy as a transport: routing, headers, encodings, cancellation, socket reuse,
// the door checks, unreachable upstreams and timeouts, credentials never stored.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, SECRET_ANTHROPIC_KEY, SECRET_OPENAI_KEY, type Harness } from './harness.js';
import { scenarioHeader, startFakeUpstream, startHangingServer, startRefusingPort, ZSTD_SUPPORTED, type ContentEncoding, type FakeUpstream, type HangingServer } from '../fixtures/fake-upstream.js';
import { waitUntil } from '../fixtures/wait.js';

let h: Harness | null = null;
let hanging: HangingServer | null = null;
let anthropicFake: FakeUpstream | null = null;
afterEach(async () => {
  await h?.close();
  await hanging?.close();
  await anthropicFake?.close();
  h = null;
  hanging = null;
  anthropicFake = null;
});

const CHAT = { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], stream: true };

/** Sends a request with an exact Host / Origin (fetch would not let us). */
function rawHttp(url: string, opts: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('routing and pass-through', () => {
  it('keeps the query string, forwards the body untouched and records unknown paths', async () => {
    h = await startHarness();
    const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hé 🚀' }] });
    const res = await rawRequest(h.url, { path: '/v1/messages?beta=true', headers: { 'x-api-key': SECRET_ANTHROPIC_KEY }, body });
    expect(res.status).toBe(200);
    await res.text();
    const models = await rawRequest(h.url, { method: 'GET', path: '/v1/models' });
    expect(models.status).toBe(200);
    await models.text();
    const recs = await h.waitForFinished(2);
    expect(h.fake.requests[0]!.url).toBe('/v1/messages?beta=true');
    expect(h.fake.requests[0]!.body).toBe(body);
    expect(recs[0]!.path).toBe('/v1/messages?beta=true');
    expect(recs[0]!.requestBody.text).toBe(body);
    expect(recs[1]!).toMatchObject({ method: 'GET', path: '/v1/models', api: 'other', outcome: 'completed', upstream: 'openai' });
  });

  it("sends each SDK's models.list() to its own provider, with its key going nowhere else", async () => {
    // Two providers on two ports, so the test sees which one each request reached.
    anthropicFake = await startFakeUpstream();
    h = await startHarness({ upstreams: { anthropic: anthropicFake.url } });
    const openaiModels = await h.openai().models.list();
    const anthropicModels = await h.anthropic().models.list();
    expect(openaiModels.data[0]!.object).toBe('model');
    expect(anthropicModels.data[0]!.type).toBe('model');

    const [toOpenai] = h.fake.requests;
    const [toAnthropic] = anthropicFake.requests;
    expect(h.fake.requests).toHaveLength(1);
    expect(anthropicFake.requests).toHaveLength(1);
    expect(toOpenai!.headers['authorization']).toBe(`Bearer ${SECRET_OPENAI_KEY}`);
    // The Anthropic SDK sends its key as a bearer token (DESIGN: "Routing").
    expect(toAnthropic!.headers['authorization'] ?? toAnthropic!.headers['x-api-key']).toContain(SECRET_ANTHROPIC_KEY);
    expect(JSON.stringify(h.fake.requests)).not.toContain(SECRET_ANTHROPIC_KEY);
    expect(JSON.stringify(anthropicFake.requests)).not.toContain(SECRET_OPENAI_KEY);

    const recs = await h.waitForFinished(2);
    expect(recs.map((r) => [r.path.split('?')[0], r.upstream])).toEqual([
      ['/v1/models', 'openai'],
      ['/v1/models', 'anthropic'],
    ]);
  });

  it('sends any /v1 path with anthropic-version to anthropic: files, batches, count_tokens', async () => {
    anthropicFake = await startFakeUpstream();
    h = await startHarness({ upstreams: { anthropic: anthropicFake.url } });
    const headers = { 'anthropic-version': '2023-06-01', 'x-api-key': SECRET_ANTHROPIC_KEY };
    for (const path of ['/v1/files', '/v1/messages/batches', '/v1/messages/count_tokens']) {
      const res = await rawRequest(h.url, { method: path === '/v1/files' ? 'GET' : 'POST', path, headers, ...(path === '/v1/files' ? {} : { body: { model: 'claude-haiku-4-5', messages: [] } }) });
      await res.text();
    }
    await h.waitForFinished(3);
    expect(anthropicFake.requests.map((r) => r.path)).toEqual(['/v1/files', '/v1/messages/batches', '/v1/messages/count_tokens']);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('routes /<name>/… to a configured upstream', async () => {
    h = await startHarness();
    // Settings apply to the running proxy; add a named upstream.
    const settings = await h.core.api['settings.get']({});
    await h.core.api['settings.set']({ ...settings, upstreams: { ...settings.upstreams, local: h.fake.url } });
    const res = await rawRequest(h.url, { path: '/local/v1/chat/completions', body: { ...CHAT, stream: false } });
    expect(res.status).toBe(200);
    await res.text();
    const [rec] = await h.waitForFinished(1);
    expect(h.fake.requests[0]!.url).toBe('/v1/chat/completions');
    expect(rec).toMatchObject({ upstream: 'local', api: 'chat.completions', outcome: 'completed' });
  });

  it('answers an unknown upstream name with a clear 404 and records it', async () => {
    h = await startHarness();
    const res = await rawRequest(h.url, { path: '/nowhere/v1/chat/completions', body: CHAT });
    expect(res.status).toBe(404);
    const json = (await res.json()) as { error: { message: string } };
    expect(json.error.message).toContain('no upstream named "nowhere"');
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('upstream_unreachable');
    expect(h.fake.requests).toHaveLength(0);
  });

  it('writes the first chunk to the client before the upstream has finished', async () => {
    h = await startHarness();
    const res = await rawRequest(h.url, { path: '/v1/chat/completions', headers: scenarioHeader({ chunks: 6, chunkDelayMs: 150 }), body: CHAT });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(h.fake.requests[0]!.finished).toBe(false);
    while (!(await reader.read()).done) {
      // drain
    }
    await h.waitForFinished(1);
  });

  it('refuses a WebSocket upgrade at once so Codex falls back to HTTP', async () => {
    h = await startHarness();
    const u = new URL(h.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write(`GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${u.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let data = '';
      sock.setEncoding('utf8');
      sock.on('data', (c: string) => (data += c));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      setTimeout(() => reject(new Error('upgrade left hanging')), 3_000).unref();
    });
    expect(reply).toMatch(/^HTTP\/1\.1 501/);
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ method: 'GET', path: '/v1/responses', httpStatus: 501 });
    // Refused is not a success: the record must not say `completed`.
    expect(rec).toMatchObject({ outcome: 'upstream_error', phase: 'before_response', evidence: expect.objectContaining({ closeSide: 'proxy' }) as unknown as object });
    expect(rec!.diagnosis).toBe('Streamtap answered HTTP 501 itself: WebSocket upgrade refused so the client falls back to HTTP.');
  });
});

describe('content encodings', () => {
  const encodings: ContentEncoding[] = ['gzip', 'br', 'deflate', ...(ZSTD_SUPPORTED ? (['zstd'] as const) : [])];
  it.each(encodings)('%s: the client gets the bytes intact and the record holds the decoded text', async (encoding) => {
    h = await startHarness();
    const res = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const u = new URL(h!.url);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/v1/messages',
          headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate, br, zstd', ...scenarioHeader({ encoding, chunks: 12 }) },
        },
        (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(parts) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    });
    expect(res.headers['content-encoding']).toBe(encoding);
    const decoders: Record<ContentEncoding, (b: Buffer) => Buffer> = {
      gzip: (b) => zlib.gunzipSync(b),
      br: (b) => zlib.brotliDecompressSync(b),
      deflate: (b) => zlib.inflateSync(b),
      zstd: (b) => (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync(b),
    };
    const decode = decoders[encoding];
    const text = decode(res.body).toString('utf8');
    expect(text).toContain('event: message_stop');
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.responseText.length).toBeGreaterThan(10);
    expect(text).toContain(JSON.stringify(rec!.responseText.slice(0, 5)).slice(1, -1).slice(0, 3));
  });
});

describe('cancellation and sockets', () => {
  it('a client abort closes the upstream socket and it is never reused', async () => {
    h = await startHarness();
    const ac = new AbortController();
    const res = await fetch(h.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 50, chunkDelayMs: 50 }) },
      body: JSON.stringify(CHAT),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const openBefore = h.fake.openSockets();
    expect(openBefore).toBeGreaterThanOrEqual(1);
    ac.abort();
    await h.fake.waitForAbort(0, 3_000);
    // the aborted socket is gone, not parked in the pool
    await waitUntil('the aborted socket to close', () => h!.fake.openSockets() < openBefore, { timeoutMs: 1_000 });
    const next = await rawRequest(h.url, { path: '/v1/chat/completions', body: { ...CHAT, stream: false } });
    await next.text();
    await h.fake.waitForRequests(2);
    expect(h.fake.requests[1]!.socketId).not.toBe(h.fake.requests[0]!.socketId);
  });
});

describe('failures before a response', () => {
  it('an unreachable upstream gives the client a 502 in the provider error shape naming the URL and why', async () => {
    const port = await startRefusingPort();
    h = await startHarness({ upstreams: { openai: `http://127.0.0.1:${port}`, anthropic: `http://127.0.0.1:${port}` } });
    const oa = await rawRequest(h.url, { path: '/v1/chat/completions', body: CHAT });
    expect(oa.status).toBe(502);
    const oaJson = (await oa.json()) as { error: { message: string; type: string; code: string } };
    expect(oaJson.error.message).toContain(`http://127.0.0.1:${port}/v1/chat/completions`);
    expect(oaJson.error.message).toContain('ECONNREFUSED');
    expect(oaJson.error.code).toBe('ECONNREFUSED');
    const an = await rawRequest(h.url, { path: '/v1/messages', body: { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [] } });
    expect(an.status).toBe(502);
    const anJson = (await an.json()) as { type: string; error: { type: string; message: string } };
    expect(anJson.type).toBe('error');
    expect(anJson.error.message).toContain('ECONNREFUSED');
    const recs = await h.waitForFinished(2);
    expect(recs[0]).toMatchObject({ outcome: 'upstream_unreachable', phase: 'before_response', httpStatus: 502 });
    expect(recs[0]!.evidence.errorCode).toBe('ECONNREFUSED');
    expect(recs[0]!.diagnosis).toContain('could not reach the openai upstream');
  });

  it('no response headers within the header timeout: 504 and outcome timeout', async () => {
    hanging = await startHangingServer();
    h = await startHarness({ upstreams: { openai: hanging.url, anthropic: hanging.url }, timeouts: { headersMs: 400, idleMs: 60_000, connectMs: 5_000 } });
    const res = await rawRequest(h.url, { path: '/v1/chat/completions', body: CHAT });
    expect(res.status).toBe(504);
    await res.text();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'timeout', phase: 'before_response' });
    expect(rec!.diagnosis).toMatch(/header timeout/);
    await waitUntil('the timed-out socket to close', () => hanging!.openSockets() === 0, { timeoutMs: 1_000 });
  });

  it('a stream that goes silent past the idle timeout: both sides closed, outcome timeout', async () => {
    h = await startHarness({ timeouts: { headersMs: 60_000, idleMs: 400, connectMs: 5_000 } });
    const res = await rawRequest(h.url, { path: '/v1/chat/completions', headers: scenarioHeader({ chunks: 10, stallAfterEvents: 3 }), body: CHAT });
    await expect(res.text()).rejects.toThrow();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'timeout', phase: 'mid_stream' });
    expect(rec!.eventCount).toBe(3);
    await h.fake.waitForAbort(0, 2_000);
  });

  it('long-thinking models are not cut off at undici defaults: a slow first header is fine', async () => {
    h = await startHarness();
    const res = await rawRequest(h.url, { path: '/v1/chat/completions', headers: scenarioHeader({ headerDelayMs: 1_200, firstTokenDelayMs: 500 }), body: CHAT });
    expect(res.status).toBe(200);
    await res.text();
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.timings.ttftMs!).toBeGreaterThanOrEqual(1_650);
  });

  it("a stream's headers reach the client while its first event is still to come", async () => {
    h = await startHarness();
    // The provider holds its first event until released, which it never is: the
    // response (its headers) must not wait for it.
    const res = await rawRequest(h.url, { path: '/v1/chat/completions', headers: scenarioHeader({ stallAfterEvents: 0, stallUntil: 'never' }), body: CHAT });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await res.body!.cancel();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'client_aborted', httpStatus: 200, eventCount: 0 });
  });
});

describe('security at the door', () => {
  it('refuses a non-loopback Host (DNS rebinding), any Origin and preflights, without forwarding', async () => {
    h = await startHarness();
    const body = JSON.stringify(CHAT);
    const evil = await rawHttp(h.url, { method: 'POST', path: '/v1/chat/completions', headers: { host: 'evil.example:7788', 'content-type': 'application/json' }, body });
    expect(evil.status).toBe(403);
    const origin = await rawHttp(h.url, { method: 'POST', path: '/v1/chat/completions', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body });
    expect(origin.status).toBe(403);
    const nullOrigin = await rawHttp(h.url, { method: 'POST', path: '/v1/chat/completions', headers: { origin: 'null' }, body });
    expect(nullOrigin.status).toBe(403);
    const preflight = await rawHttp(h.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    for (const r of [evil, origin, nullOrigin, preflight]) {
      expect(Object.keys(r.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
    expect(h.fake.requests).toHaveLength(0);
    expect(await h.count()).toBe(0);
  });

  it('caps headers: too many or too large get 431, a second Host gets 400, nothing is forwarded, the process stays up', async () => {
    h = await startHarness();
    const u = new URL(h.url);
    /** Raw bytes, since Node's own client would merge a second Host and limit sizes. */
    const raw = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = net.connect(Number(u.port), u.hostname, () => sock.write(head));
        let data = '';
        sock.setEncoding('utf8');
        sock.on('data', (c: string) => (data += c));
        sock.on('end', () => resolve(data));
        sock.on('error', reject);
      });
    const start = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${u.port}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n`;
    const many = Array.from({ length: 1000 }, (_, i) => `x-h-${i}: v\r\n`).join('');
    expect(await raw(`${start}${many}connection: close\r\n\r\n{}`)).toMatch(/^HTTP\/1\.1 431 /);
    const big = `x-big: ${'a'.repeat(40 * 1024)}\r\n`;
    expect(await raw(`${start}${big}\r\n{}`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(`${start}Host: evil.example\r\nconnection: close\r\n\r\n{}`)).toMatch(/^HTTP\/1\.1 400 /);
    // Under the limits goes through (the fake upstream itself takes up to Node's 16 KiB).
    const fine = Array.from({ length: 80 }, (_, i) => `x-h-${i}: v\r\n`).join('');
    expect(await raw(`${start}${fine}x-fit: ${'a'.repeat(12 * 1024)}\r\nconnection: close\r\n\r\n{}`)).toMatch(/^HTTP\/1\.1 200 /);
    expect(h.fake.requests).toHaveLength(1);
    expect(Object.keys(h.fake.requests[0]!.headers).length).toBeLessThan(100);
  });

  it('listens on loopback only', async () => {
    h = await startHarness();
    const addr = h.core.api['status.get']({});
    expect(addr.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('forwards credentials but never stores them anywhere in the database', async () => {
    h = await startHarness();
    const oa = await rawRequest(h.url, { path: '/v1/chat/completions?key=AIzaSECRETqueryKEY123456789', headers: { authorization: `Bearer ${SECRET_OPENAI_KEY}`, cookie: 'sid=SECRETcookieVALUE1234567890' }, body: CHAT });
    await oa.text();
    const an = await rawRequest(h.url, { path: '/v1/messages', headers: { 'x-api-key': SECRET_ANTHROPIC_KEY }, body: { model: 'claude-sonnet-4-6', max_tokens: 5, stream: true, messages: [] } });
    await an.text();
    const recs = await h.waitForFinished(2);
    expect(h.fake.requests[0]!.headers['authorization']).toBe(`Bearer ${SECRET_OPENAI_KEY}`);
    expect(h.fake.requests[1]!.headers['x-api-key']).toBe(SECRET_ANTHROPIC_KEY);
    expect(recs[0]!.requestHeaders['authorization']).toBe('Bearer sk-…WXYZ');
    h.core.flushNow(10_000);
    await h.core.stop();
    const bytes = Buffer.concat(['', '-wal', '-shm'].filter((s) => fs.existsSync(h!.dbPath + s)).map((s) => fs.readFileSync(h!.dbPath + s)));
    for (const secret of ['SECRETopenaiKEY', 'SECRETanthropicKEY', 'SECRETqueryKEY', 'SECRETcookieVALUE']) {
      expect(bytes.includes(Buffer.from(secret)), secret).toBe(false);
    }
  });
});

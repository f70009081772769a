// Request bodies on the way in: forwarded byte for byte (streamed when large), recorded
// only up to the capture limit, refused with 413 past the maximum request size, and
// given up on (408) when the client stops sending. Also the provider that closes
// before answering, and its own reason phrase.

import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { scenarioHeader, startRefusingPort } from '../fixtures/fake-upstream.js';
import { waitUntil } from '../fixtures/wait.js';

let h: Harness | null = null;
const servers: net.Server[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An upstream that answers every request with the sha256 and length of the body it got. */
async function startBodySink(): Promise<{ url: string; bodies: { sha: string; bytes: number }[] }> {
  const bodies: { sha: string; bytes: number }[] = [];
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const got = { sha: hash.digest('hex'), bytes };
      bodies.push(got);
      const body = JSON.stringify({ id: 'x', object: 'chat.completion', model: 'sink', choices: [], ...got });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, bodies };
}

interface RawResult {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request whose body the test writes itself (to stall it, or cut it). */
function rawPost(url: string, path: string, headers: Record<string, string | number>, write: (req: http.ClientRequest) => void): Promise<RawResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    write(req);
  });
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function promptOf(bytes: number, model = 'gpt-5'): Buffer {
  const head = `{"model":"${model}","stream":false,"messages":[{"role":"user","content":"`;
  const tail = '"}]}';
  return Buffer.from(head + 'a'.repeat(bytes - head.length - tail.length) + tail);
}

describe('request bodies', () => {
  it('are forwarded byte for byte, small or large, identity or gzip, and recorded only up to the capture limit', async () => {
    const sink = await startBodySink();
    const cap = 64 * 1024;
    h = await startHarness({ upstreams: { openai: sink.url }, limits: { requestBodyBytes: cap } as never });
    const small = promptOf(20_000);
    const large = promptOf(3 * 1024 * 1024);
    const gz = zlib.gzipSync(promptOf(2 * 1024 * 1024, 'gzipped'));
    for (const [body, extra] of [
      [small, {}],
      [large, {}],
      [gz, { 'content-encoding': 'gzip' }],
    ] as const) {
      const res = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ sha: sha(body), bytes: body.length });
    }
    // A body of unknown length (chunked) streams through too.
    const chunked = await rawPost(h.url, '/v1/chat/completions', { 'transfer-encoding': 'chunked' }, (req) => {
      req.write(large.subarray(0, 1_000_000));
      req.end(large.subarray(1_000_000));
    });
    expect(JSON.parse(chunked.body)).toMatchObject({ sha: sha(large), bytes: large.length });

    const recs = await h.waitForFinished(4);
    expect(recs[0]!.requestBody).toEqual({ text: small.toString(), bytes: small.length, truncated: false });
    for (const rec of [recs[1]!, recs[3]!]) {
      expect(rec.requestBody.text).toBe(large.subarray(0, cap).toString());
      expect(rec.requestBody).toMatchObject({ bytes: large.length, truncated: true });
      expect(rec.bytesIn).toBe(large.length);
      expect(rec.model).toBe('gpt-5');
    }
    expect(recs[2]!).toMatchObject({ model: 'gzipped', bytesIn: gz.length });
    expect(recs[2]!.requestBody.text.length).toBe(cap);
    expect(recs[2]!.requestBody.truncated).toBe(true);
  });

  it('over the maximum request size get 413 in the provider shape, are recorded and never forwarded', async () => {
    h = await startHarness({ maxRequestBytes: 1024 * 1024 });
    const big = promptOf(1024 * 1024 + 1);
    const openai = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(openai.status).toBe(413);
    expect(openai.headers.get('connection')).toBe('close');
    expect(((await openai.json()) as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'request_too_large',
      message: expect.stringContaining('is over the 1 MiB limit') as unknown as string,
    });
    // Refused on its Content-Length alone: the body is never read.
    const declared = await rawPost(h.url, '/v1/messages', { 'content-length': 50 * 1024 * 1024 }, (req) => req.write('{"model":'));
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    // Of unknown length: refused once it crosses the limit; the upstream request is cancelled.
    const chunked = await rawPost(h.url, '/v1/chat/completions', { 'transfer-encoding': 'chunked', ...scenarioHeader({ headerDelayMs: 10_000 }) }, (req) => {
      const piece = Buffer.alloc(256 * 1024, 0x61);
      for (let i = 0; i < 6; i++) req.write(piece);
      req.end();
    });
    expect(chunked.status).toBe(413);
    const recs = await h.waitForFinished(3);
    for (const rec of recs) {
      expect(rec).toMatchObject({ httpStatus: 413, outcome: 'upstream_error', evidence: expect.objectContaining({ closeSide: 'proxy' }) as unknown as object });
      expect(rec.diagnosis).toMatch(/^Streamtap answered HTTP 413 itself: the request body \(.+\) is over the 1 MiB limit/);
    }
    expect(recs.map((r) => r.phase)).toEqual(['before_response', 'before_response', 'request_body']);
    expect(h.fake.requests.length).toBeLessThanOrEqual(1);
    if (h.fake.requests.length === 1) await h.fake.waitForAbort(0, 3_000);
  });

  it('over the limit get 413 while recording is paused too, and a large body still streams through', async () => {
    const sink = await startBodySink();
    h = await startHarness({ maxRequestBytes: 4 * 1024 * 1024, upstreams: { openai: sink.url } });
    h.core.api['recording.setPaused']({ paused: true });
    const tooBig = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: promptOf(5 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
    await tooBig.text();
    const large = promptOf(3 * 1024 * 1024);
    const ok = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: large });
    expect(await ok.json()).toMatchObject({ sha: sha(large), bytes: large.length });
    expect(sink.bodies).toHaveLength(1);
    expect(await h.count()).toBe(0);
  });

  it('that stall past the idle timeout get the same 408 while recording is paused, and nothing is recorded', async () => {
    h = await startHarness({ timeouts: { headersMs: 60_000, idleMs: 300, connectMs: 5_000 } });
    h.engine.setPaused(true);
    const small = await rawPost(h.url, '/v1/chat/completions', { 'content-length': 1000 }, (req) => req.write('{"model":"stalled-paused",'));
    expect(small.status).toBe(408);
    expect(JSON.parse(small.body)).toMatchObject({ error: { code: 'streamtap_request_body_timeout' } });
    expect(h.fake.requests).toHaveLength(0);
    expect(await h.engine.store.written()).toBe(true);
    expect(h.engine.store.count({})).toBe(0);
  });

  it('that stall past the idle timeout get 408; the record says whether anything went upstream', async () => {
    h = await startHarness({ timeouts: { headersMs: 60_000, idleMs: 300, connectMs: 5_000 } });
    // A small body is read whole before it is sent: nothing reached the provider.
    const small = await rawPost(h.url, '/v1/chat/completions', { 'content-length': 1000 }, (req) => req.write('{"model":"stalled-small",'));
    expect(small.status).toBe(408);
    expect(JSON.parse(small.body)).toMatchObject({ error: { code: 'streamtap_request_body_timeout' } });
    // A large one streams: the upstream request was under way and is cancelled.
    const large = promptOf(4 * 1024 * 1024, 'stalled-large');
    const big = await rawPost(h.url, '/v1/chat/completions', { 'content-length': large.length }, (req) => req.write(large.subarray(0, 2 * 1024 * 1024)));
    expect(big.status).toBe(408);
    const recs = await h.waitForFinished(2);
    for (const rec of recs) expect(rec).toMatchObject({ outcome: 'timeout', phase: 'request_body', httpStatus: 408 });
    expect(recs[0]!.model).toBe('stalled-small');
    expect(recs[0]!.diagnosis).toMatch(/^The client stopped sending its request body after 25 bytes; Streamtap gave up after .* \(idle timeout\), answered 408, and nothing had been sent to the provider\.$/);
    expect(recs[0]!.diagnosis).not.toMatch(/cancel/);
    expect(recs[1]!.model).toBe('stalled-large');
    expect(recs[1]!.bytesIn).toBe(2 * 1024 * 1024);
    expect(recs[1]!.diagnosis).toMatch(/after 2\.0 MiB; .* and Streamtap cancelled the upstream request\.$/);
    expect(h.fake.requests.filter((r) => r.body.includes('stalled-small'))).toHaveLength(0);
  });

  it('that the client abandons are client_aborted in the request-body phase', async () => {
    h = await startHarness();
    const sock = net.connect(h.core.api['status.get']({}).port!, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"model":"left-early",`);
    // Wait until the proxy has the row (the request arrived), then leave.
    await waitUntil('the row for the arriving request', async () => (await h!.count()) > 0);
    sock.destroy();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'client_aborted', phase: 'request_body', httpStatus: null, model: 'left-early' });
    expect(rec!.diagnosis).toMatch(/while still sending its request body \(22 bytes received\); nothing had been sent to the provider\.$/);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('the provider side', () => {
  it('an unreachable provider is upstream_unreachable, also while a large body is still streaming', async () => {
    const port = await startRefusingPort();
    h = await startHarness({ upstreams: { openai: `http://127.0.0.1:${port}` } });
    const res = await fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: promptOf(3 * 1024 * 1024) }).catch(
      (err: Error) => err,
    );
    if (!(res instanceof Error)) {
      expect(res.status).toBe(502);
      await res.text();
    }
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'upstream_unreachable', phase: 'before_response', httpStatus: 502 });
    expect(rec!.evidence.errorCode).toBe('ECONNREFUSED');
  });

  it('a provider that accepts the connection and closes before answering is upstream_disconnected before the response', async () => {
    h = await startHarness();
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ resetBeforeHeaders: true, disconnectMode: 'close' }) },
      body: JSON.stringify({ model: 'gpt-5', messages: [] }),
    });
    expect(res.status).toBe(502);
    await res.text();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'upstream_disconnected', phase: 'before_response', evidence: expect.objectContaining({ closeSide: 'upstream' }) as unknown as object });
    expect(rec!.diagnosis).toMatch(/^The provider accepted the connection, then closed it .*without sending a response; Streamtap answered 502\.$/);
  });

  it("forwards the provider's own reason phrase (529 has none in Node's table)", async () => {
    const raw = net.createServer((sock) => {
      sock.once('data', () => {
        const body = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
        sock.end(`HTTP/1.1 529 Site Overloaded\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
    });
    servers.push(raw);
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    h = await startHarness({ upstreams: { anthropic: `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}` } });
    const res = await rawPost(h.url, '/v1/messages', {}, (req) => req.end('{"model":"claude"}'));
    expect(res.status).toBe(529);
    expect(res.statusMessage).toBe('Site Overloaded');
  });
});

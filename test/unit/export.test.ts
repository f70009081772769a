// The exporters: the public record shape and its JSON Schema, credential redaction as a
// last line of defence, and the streaming writers (backpressure, event-loop yields,
// progress, a reader that goes away).

import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {
  API_KINDS,
  OUTCOMES,
  PHASES,
  emptyEvidence,
  emptyUsage,
  type RecordFilter,
  type RequestRecord,
} from '../../src-main/common/record.js';
import {
  CLOSE_SIDES,
  FILTER_KEYS,
  FORMAT_VERSION,
  redactQuery,
  redactSecret,
  toExportRecord,
  type ExportRecord,
} from '../../src-main/core/export/record-export.js';
import { FLUSH_CHARS, PROGRESS_EVERY, writeHarExport, writeJsonExport, writeJsonlExport } from '../../src-main/core/export/writers.js';
import { toHarEntry } from '../../src-main/core/export/har.js';

// ---------------------------------------------------------------------------
// fixtures

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function baseRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'rec-base',
    startedAt: T0,
    endedAt: T0 + 1500,
    client: 'Claude Code 2.0.14',
    clientVersion: '2.0.14',
    userAgent: 'claude-cli/2.0.14 (external, cli)',
    sessionId: 'sess-1',
    sessionInferred: false,
    turnId: 'rec-base',
    attempt: 1,
    turnFingerprint: 'fp-turn',
    conversation: { messages: 1, tailHash: 'tail', prompt: 'hi', firstPrompt: 'hi' },
    credentialFingerprint: 'fp-1234',
    upstream: 'anthropic',
    upstreamUrl: 'https://api.anthropic.com/v1/messages',
    api: 'messages',
    method: 'POST',
    path: '/v1/messages',
    model: 'claude-sonnet-4-5',
    responseModel: 'claude-sonnet-4-5-20250929',
    stream: true,
    httpStatus: 200,
    outcome: 'completed',
    phase: 'complete',
    stopReason: 'end_turn',
    truncated: false,
    error: null,
    errorMessage: null,
    diagnosis: 'The answer completed normally.',
    evidence: { ...emptyEvidence(), eventsSeen: 3, lastEvent: 'message_stop', terminalEventSeen: true, usageSeen: true, bytesToClient: 900 },
    timings: { firstByteMs: 120, ttftMs: 340, lastEventMs: 1490, durationMs: 1500 },
    usage: { inputTokens: 1200, outputTokens: 45, reasoningTokens: null, cachedTokens: 1000, totalTokens: 1245, estimated: false },
    eventCount: 3,
    badJsonEvents: 0,
    bytesIn: 60,
    bytesOut: 900,
    retryCount: null,
    requestHeaders: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-…wxyz' },
    requestBody: { text: '{"model":"claude-sonnet-4-5","stream":true,"messages":[]}', bytes: 60, truncated: false },
    responseHeaders: { 'content-type': 'text/event-stream', 'anthropic-ratelimit-output-tokens-remaining': '79000' },
    responseText: 'Hello there.',
    responseReasoning: '',
    toolCalls: [],
    responseBody: null,
    events: [
      { t: 120, event: 'message_start', data: '{"type":"message_start"}' },
      { t: 340, event: 'content_block_delta', data: '{"type":"content_block_delta","delta":{"text":"Hello there."}}' },
      { t: 1490, event: 'message_stop', data: '{"type":"message_stop"}' },
    ],
    eventsTruncated: false,
    ...over,
  };
}

const completedWithTools = baseRecord({
  id: 'rec-tools',
  stopReason: 'tool_use',
  toolCalls: [
    { id: 'toolu_1', name: 'read_file', arguments: '{"path":"src/a.ts"}' },
    { id: 'toolu_2', name: 'bash', arguments: '{"command":"ls"}' },
  ],
  responseReasoning: 'I should read the file first.',
});

const abortedMidStream = baseRecord({
  id: 'rec-aborted',
  endedAt: T0 + 12_400,
  outcome: 'client_aborted',
  phase: 'mid_stream',
  stopReason: null,
  diagnosis: 'The client closed the connection 12.4 s into the stream after 842 output tokens; no terminal event had arrived.',
  evidence: { ...emptyEvidence(), closeSide: 'client', errorCode: 'ECONNRESET', eventsSeen: 300, lastEvent: 'content_block_delta', bytesToClient: 40_000 },
  timings: { firstByteMs: 150, ttftMs: 900, lastEventMs: 12_390, durationMs: 12_400 },
  usage: { ...emptyUsage(), inputTokens: 5000, outputTokens: 842, estimated: true },
  responseText: 'Here is the first half of the ans',
  events: [],
  eventsTruncated: true,
});

const rateLimited = baseRecord({
  id: 'rec-429',
  stream: false,
  httpStatus: 429,
  outcome: 'upstream_error',
  phase: 'before_first_chunk',
  stopReason: null,
  responseModel: null,
  error: { type: 'rate_limit_error', code: null, message: 'Number of request tokens has exceeded your per-minute rate limit', retryAfterS: 17 },
  diagnosis: 'The provider refused the request with 429 rate_limit_error; it asked to retry after 17 s.',
  evidence: { ...emptyEvidence(), closeSide: 'upstream', eventsSeen: 0, bytesToClient: 180 },
  timings: { firstByteMs: 80, ttftMs: null, lastEventMs: null, durationMs: 95 },
  usage: emptyUsage(),
  responseHeaders: { 'content-type': 'application/json', 'retry-after': '17', 'x-ratelimit-remaining-tokens': '0' },
  responseText: '',
  responseBody: { text: '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}', bytes: 118, truncated: false },
  events: [],
  eventCount: 0,
});

const unreachable = baseRecord({
  id: 'rec-unreachable',
  upstream: 'ollama',
  upstreamUrl: 'http://127.0.0.1:11434/v1/chat/completions',
  api: 'chat.completions',
  path: '/ollama/v1/chat/completions',
  responseModel: null,
  httpStatus: null,
  outcome: 'upstream_unreachable',
  phase: 'before_response',
  stopReason: null,
  errorMessage: 'connect ECONNREFUSED 127.0.0.1:11434',
  diagnosis: 'The upstream ollama refused the connection (ECONNREFUSED); the client got a 502.',
  evidence: { ...emptyEvidence(), closeSide: 'upstream', errorCode: 'ECONNREFUSED' },
  timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: 3 },
  usage: emptyUsage(),
  responseHeaders: {},
  responseText: '',
  events: [],
  eventCount: 0,
  bytesOut: 0,
});

const inProgress = baseRecord({
  id: 'rec-live',
  endedAt: null,
  outcome: 'in_progress',
  phase: null,
  stopReason: null,
  diagnosis: 'In progress.',
  evidence: { ...emptyEvidence(), eventsSeen: 12, lastEvent: 'content_block_delta' },
  timings: { firstByteMs: 200, ttftMs: 450, lastEventMs: 800, durationMs: null },
  usage: emptyUsage(),
  responseText: 'Partial',
});

const textBody = baseRecord({
  id: 'rec-text-body',
  api: 'other',
  method: 'POST',
  path: '/v1/files',
  upstream: 'openai',
  upstreamUrl: 'https://api.openai.com/v1/files',
  stream: false,
  model: null,
  responseModel: null,
  stopReason: null,
  requestHeaders: { 'content-type': 'multipart/form-data; boundary=xyz', authorization: 'Bearer sk-…abcd' },
  requestBody: { text: '--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--xyz--', bytes: 70, truncated: false },
  responseBody: { text: '{"id":"file-1"}', bytes: 15, truncated: false },
  responseText: '',
  events: [],
  eventCount: 0,
});

const LEAKED = 'Bearer sk-live-1234567890abcdefXYZW';
const leaky = baseRecord({
  id: 'rec-leaky',
  upstream: 'gemini',
  upstreamUrl: 'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions?key=AIzaSyLEAKED0123456789abcd&alt=sse',
  path: '/gemini/v1beta/openai/chat/completions?key=AIzaSyLEAKED0123456789abcd&alt=sse',
  requestHeaders: {
    authorization: LEAKED,
    'x-api-key': 'sk-ant-api03-LEAKEDLEAKEDLEAKED-9876',
    cookie: 'session=LEAKEDCOOKIEVALUE0123456',
    'x-goog-api-key': 'AIzaSyLEAKEDgoog0123456789',
    'content-type': 'application/json',
  },
  responseHeaders: { 'set-cookie': 'sid=LEAKEDSETCOOKIE0123456789; HttpOnly', 'x-ratelimit-remaining-tokens': '149984' },
});

const FIXTURES: RequestRecord[] = [completedWithTools, abortedMidStream, rateLimited, unreachable, inProgress, textBody, leaky];

// ---------------------------------------------------------------------------
// helpers

function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}
const recordSchema = loadSchema('export-record.schema.json');
const exportSchema = loadSchema('export.schema.json');

function makeAjv(): Ajv2020 {
  // strict mode on: a typo in a schema keyword fails the test instead of being ignored.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(recordSchema);
  return ajv;
}
const ajv = makeAjv();
const validateRecord = ajv.getSchema(recordSchema['$id'] as string)!;
const validateExport = ajv.compile(exportSchema);

function expectValid(validate: typeof validateRecord, value: unknown): void {
  const ok = validate(value);
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
  expect(ok).toBe(true);
}

/** A Writable that collects everything; `slow` acknowledges each chunk a turn later. */
function collector(opts: { highWaterMark?: number; slow?: boolean } = {}): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark: opts.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      if (opts.slow) setImmediate(cb);
      else cb();
    },
  });
  return { out, text: () => chunks.join('') };
}

async function exportToString(
  kind: 'json' | 'jsonl' | 'har',
  records: Iterable<RequestRecord>,
  meta: { filters?: RecordFilter; includeEvents?: boolean } = {},
): Promise<string> {
  const { out, text } = collector();
  const m = { filters: meta.filters ?? {}, exportedAt: new Date(T0 + 3_600_000), ...(meta.includeEvents === undefined ? {} : { includeEvents: meta.includeEvents }) };
  if (kind === 'json') await writeJsonExport(records, out, m);
  else if (kind === 'jsonl') await writeJsonlExport(records, out, m);
  else await writeHarExport(records, out, m);
  return text();
}

function* syntheticRecords(n: number, onPull?: (i: number) => void): Generator<RequestRecord> {
  for (let i = 0; i < n; i++) {
    onPull?.(i);
    yield baseRecord({ id: `rec-${i}`, startedAt: T0 + i, responseText: `answer ${i}` });
  }
}

// ---------------------------------------------------------------------------

describe('toExportRecord', () => {
  it('maps times to ISO 8601, keeps endedAt null while in progress, and splits provider error from proxy error', () => {
    const done = toExportRecord(rateLimited);
    expect(done.startedAt).toBe('2025-06-01T12:00:00.000Z');
    expect(done.endedAt).toBe('2025-06-01T12:00:01.500Z');
    expect(done.error).toEqual({ type: 'rate_limit_error', code: null, message: rateLimited.error!.message, retryAfterS: 17 });
    expect(done.proxyError).toBeNull();
    expect(done.response.body).toBe(rateLimited.responseBody!.text);

    expect(toExportRecord(inProgress).endedAt).toBeNull();
    const down = toExportRecord(unreachable);
    expect(down.error).toBeNull();
    expect(down.proxyError).toBe('connect ECONNREFUSED 127.0.0.1:11434');
  });

  it('exports a JSON request body as parsed JSON and anything else as text', () => {
    const json = toExportRecord(completedWithTools).request;
    expect(json.bodyFormat).toBe('json');
    expect(json.body).toEqual({ model: 'claude-sonnet-4-5', stream: true, messages: [] });

    const text = toExportRecord(textBody).request;
    expect(text.bodyFormat).toBe('text');
    expect(text.body).toBe(textBody.requestBody.text);

    const cut = toExportRecord(baseRecord({ requestBody: { text: '{"model":"x","messages":[{"ro', bytes: 900_000, truncated: true } })).request;
    expect(cut).toMatchObject({ bodyFormat: 'text', body: '{"model":"x","messages":[{"ro', bodyTruncated: true, bodyBytes: 900_000 });

    const none = toExportRecord(baseRecord({ method: 'GET', requestBody: { text: '', bytes: 0, truncated: false } })).request;
    expect(none).toMatchObject({ bodyFormat: 'none', body: null });
  });

  it('includes the raw events only when asked, and always says whether they were cut', () => {
    const without = toExportRecord(completedWithTools);
    expect('events' in without).toBe(false);
    expect(without.eventsTruncated).toBe(false);
    const withEvents = toExportRecord(completedWithTools, { includeEvents: true });
    expect(withEvents.events).toEqual(completedWithTools.events);
    // the documented order: events sits just before eventsTruncated
    expect(Object.keys(withEvents).slice(-2)).toEqual(['events', 'eventsTruncated']);
  });

  it('does not carry the credential fingerprint', () => {
    expect(JSON.stringify(toExportRecord(completedWithTools))).not.toContain('fp-1234');
  });

  it('names the record when a stored time is corrupt', () => {
    expect(() => toExportRecord(baseRecord({ id: 'bad-row', startedAt: Number.NaN }))).toThrow(/bad-row: startedAt/);
  });
});

describe('redaction (defence in depth)', () => {
  it('redactSecret keeps the scheme, a key-style prefix and the last 4 characters', () => {
    expect(redactSecret(LEAKED)).toBe('Bearer sk-…XYZW');
    expect(redactSecret('sk-ant-api03-LEAKEDLEAKEDLEAKED-9876')).toBe('sk-…9876');
    expect(redactSecret('Bearer short')).toBe('Bearer …');
    expect(redactSecret('tiny')).toBe('…');
  });

  it('re-redacts credential headers that are not in redacted form, and leaves the rest alone', () => {
    const x = toExportRecord(leaky);
    expect(x.request.headers).toEqual({
      authorization: 'Bearer sk-…XYZW',
      'x-api-key': 'sk-…9876',
      cookie: '…3456',
      'x-goog-api-key': '…6789',
      'content-type': 'application/json',
    });
    // rate-limit counters contain "token" but are what a user needs to read a 429
    expect(x.response.headers['x-ratelimit-remaining-tokens']).toBe('149984');
    expect(x.response.headers['set-cookie']).toBe('…Only');
    // already redacted values are kept as stored
    expect(toExportRecord(completedWithTools).request.headers['x-api-key']).toBe('sk-ant-…wxyz');
    expect(toExportRecord(baseRecord({ requestHeaders: { authorization: 'Bearer …' } })).request.headers['authorization']).toBe('Bearer …');
    // a value that merely contains an ellipsis is not thereby redacted
    const half = toExportRecord(baseRecord({ requestHeaders: { authorization: 'Bearer sk-live-1234567890abcdef…XYZW' } }));
    expect(half.request.headers['authorization']).toBe('Bearer sk-…XYZW');
  });

  it('re-redacts credential query parameters in path and upstreamUrl', () => {
    expect(redactQuery('/v1/x?key=AIzaSyLEAKED0123456789abcd&alt=sse')).toBe('/v1/x?key=%E2%80%A6abcd&alt=sse');
    expect(redactQuery('/v1/x?alt=sse')).toBe('/v1/x?alt=sse');
    expect(redactQuery('/v1/x?key=%E2%80%A6abcd')).toBe('/v1/x?key=%E2%80%A6abcd');
  });

  it.each(['json', 'jsonl', 'har'] as const)('an unredacted credential in a record never appears in a %s export', async (kind) => {
    for (const includeEvents of [false, true]) {
      const text = await exportToString(kind, [leaky], { includeEvents });
      expect(text).not.toContain('sk-live-1234567890abcdef');
      expect(text).not.toContain('1234567890abcdef');
      expect(text).not.toContain('LEAKED');
      expect(text).toContain('Bearer sk-…XYZW');
    }
  });
});

describe('export JSON Schema', () => {
  const props = recordSchema['properties'] as Record<string, Record<string, unknown>>;
  const full: ExportRecord = toExportRecord(completedWithTools, { includeEvents: true });

  it('has exactly the properties of a full ExportRecord, all required except events', () => {
    expect(Object.keys(props)).toEqual(Object.keys(full));
    expect(recordSchema['required']).toEqual(Object.keys(full).filter((k) => k !== 'events'));
    expect(recordSchema['additionalProperties']).toBe(false);
  });

  it('uses the enums of record.ts for outcome, phase, api and closeSide', () => {
    expect(props['outcome']!['enum']).toEqual([...OUTCOMES]);
    expect(props['phase']!['enum']).toEqual([...PHASES, null]);
    expect(props['api']!['enum']).toEqual([...API_KINDS]);
    const evidence = props['evidence']!['properties'] as Record<string, Record<string, unknown>>;
    expect(evidence['closeSide']!['enum']).toEqual([...CLOSE_SIDES]);
  });

  it('documents every filter the store understands, and nothing else', () => {
    const filters = (exportSchema['properties'] as Record<string, Record<string, unknown>>)['filters']!;
    expect(Object.keys(filters['properties'] as object).sort()).toEqual(Object.keys(FILTER_KEYS).sort());
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n['properties']) {
        for (const [k, v] of Object.entries(n['properties'] as Record<string, Record<string, unknown>>)) {
          if (typeof v['description'] !== 'string' || v['description'] === '') missing.push(`${at}.${k}`);
          walk(v, `${at}.${k}`);
        }
      }
      if (n['items']) walk(n['items'], `${at}[]`);
    };
    walk(recordSchema, 'record');
    walk(exportSchema, 'export');
    expect(missing).toEqual([]);
  });

  it.each(FIXTURES.map((r) => [r.id, r] as const))('validates the export of %s, with and without events', (_id, r) => {
    expectValid(validateRecord, toExportRecord(r));
    expectValid(validateRecord, toExportRecord(r, { includeEvents: true }));
  });

  it('rejects a record with a field the schema does not know (drift is caught)', () => {
    expect(validateRecord({ ...toExportRecord(completedWithTools), credentialFingerprint: 'x' })).toBe(false);
    expect(validateRecord({ ...toExportRecord(completedWithTools), outcome: 'truncated' })).toBe(false);
  });

  it('validates a real JSON export, its header included', async () => {
    const filters: RecordFilter = { since: T0, until: T0 + 86_400_000, outcome: ['client_aborted', 'upstream_error'], model: ['claude-sonnet-4-5'], text: 'hello' };
    const doc = JSON.parse(await exportToString('json', FIXTURES, { filters, includeEvents: true })) as Record<string, unknown>;
    expectValid(validateExport, doc);
    expect(doc['formatVersion']).toBe(FORMAT_VERSION);
    expect(doc['exportedAt']).toBe('2025-06-01T13:00:00.000Z');
    expect(doc['filters']).toEqual({ ...filters, since: '2025-06-01T12:00:00.000Z', until: '2025-06-02T12:00:00.000Z' });
    expect((doc['records'] as ExportRecord[]).map((r) => r.id)).toEqual(FIXTURES.map((r) => r.id));
  });

  it('validates every line of a real JSON Lines export', async () => {
    const text = await exportToString('jsonl', FIXTURES);
    const lines = text.split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline, no header, no trailer
    expect(lines).toHaveLength(FIXTURES.length);
    for (const line of lines) expectValid(validateRecord, JSON.parse(line));
  });
});

describe('JSON and JSON Lines writers', () => {
  it('writes a valid, empty JSON export for no records', async () => {
    const doc = JSON.parse(await exportToString('json', [])) as Record<string, unknown>;
    expectValid(validateExport, doc);
    expect(doc['records']).toEqual([]);
    expect(await exportToString('jsonl', [])).toBe('');
  });

  it('puts one record per line in the JSON export', async () => {
    const lines = (await exportToString('json', FIXTURES)).split('\n');
    expect(lines.filter((l) => l.startsWith('    {"id":'))).toHaveLength(FIXTURES.length);
  });

  it('reports progress every 500 records and once at the end', async () => {
    const seen: number[] = [];
    const { out } = collector();
    const res = await writeJsonlExport(syntheticRecords(1234), out, { filters: {}, onProgress: (n) => seen.push(n) });
    expect(res.count).toBe(1234);
    expect(PROGRESS_EVERY).toBe(500);
    expect(seen).toEqual([500, 1000, 1234]);

    const exact: number[] = [];
    await writeJsonlExport(syntheticRecords(1000), collector().out, { filters: {}, onProgress: (n) => exact.push(n) });
    expect(exact).toEqual([500, 1000]);
  });

  it('yields to the event loop during a long export', async () => {
    // The sink never pushes back, so without explicit yields the whole export would run
    // in microtasks and the setImmediate below would only fire after the last record.
    let fired = false;
    let pulledWhenFired = -1;
    setImmediate(() => {
      fired = true;
    });
    const records = syntheticRecords(1000, (i) => {
      if (fired && pulledWhenFired === -1) pulledWhenFired = i;
    });
    await writeJsonlExport(records, collector({ highWaterMark: 1 << 30 }).out, { filters: {} });
    expect(pulledWhenFired).toBeGreaterThan(0);
    expect(pulledWhenFired).toBeLessThan(1000);
  });

  it('streams 20,000 records through a slow writable, waiting for drain and pulling records lazily', async () => {
    const N = 20_000;
    let pulled = 0;
    let pulledAtFirstWrite = -1;
    let writesWhileFull = 0;
    let falseReturns = 0;
    let maxBuffered = 0;
    let lines = 0;
    let bad = 0;
    let partial = '';
    const validateSome = (line: string, i: number): void => {
      // schema-validate a sample; parse all of them
      const rec = JSON.parse(line) as ExportRecord;
      if (rec.id !== `rec-${i}`) bad++;
      if (i % 997 === 0 && !validateRecord(rec)) bad++;
    };
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        if (pulledAtFirstWrite === -1) pulledAtFirstWrite = pulled;
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop()!;
        for (const p of parts) validateSome(p, lines++);
        setImmediate(cb); // a slow disk or a slow HTTP client
      },
    });
    const write = out.write.bind(out) as (chunk: string, cb?: (err?: Error | null) => void) => boolean;
    out.write = ((chunk: string, cb?: (err?: Error | null) => void) => {
      if (out.writableNeedDrain) writesWhileFull++;
      const ok = write(chunk, cb);
      if (!ok) falseReturns++;
      maxBuffered = Math.max(maxBuffered, out.writableLength);
      return ok;
    }) as typeof out.write;

    const started = Date.now();
    const res = await writeJsonlExport(
      syntheticRecords(N, () => pulled++),
      out,
      { filters: {} },
    );
    await new Promise<void>((resolve) => out.end(resolve));
    const elapsed = Date.now() - started;

    expect(res.count).toBe(N);
    expect(lines).toBe(N);
    expect(partial).toBe('');
    expect(bad).toBe(0);
    // backpressure was exercised and respected: never written to while full
    expect(falseReturns).toBeGreaterThan(10);
    expect(writesWhileFull).toBe(0);
    // so at most one chunk (plus the record that overflowed it) is ever buffered …
    expect(maxBuffered).toBeLessThan(FLUSH_CHARS + 16 * 1024);
    // … and records are pulled as output drains, not all up front
    expect(pulledAtFirstWrite).toBeGreaterThan(0);
    expect(pulledAtFirstWrite).toBeLessThan(N / 10);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('fails, and closes the record source, when the output goes away mid-export', async () => {
    let sourceClosed = false;
    function* source(): Generator<RequestRecord> {
      try {
        yield* syntheticRecords(5000);
      } finally {
        sourceClosed = true;
      }
    }
    // a reader that never reads (e.g. a stalled HTTP client), later disconnected
    const out = new Writable({ highWaterMark: 1024, write() {} });
    const p = writeJsonExport(source(), out, { filters: {} });
    setTimeout(() => out.destroy(), 20);
    await expect(p).rejects.toThrow(/closed/);
    expect(sourceClosed).toBe(true);
    expect(out.listenerCount('drain')).toBe(0);
  });

  it('refuses an output that is already closed', async () => {
    const { out } = collector();
    out.end();
    await expect(writeJsonlExport(FIXTURES, out, { filters: {} })).rejects.toThrow(/already closed/);
  });

  it('accepts an async iterable source', async () => {
    async function* source(): AsyncGenerator<RequestRecord> {
      yield completedWithTools;
      yield abortedMidStream;
    }
    const { out, text } = collector();
    const res = await writeJsonlExport(source(), out, { filters: {} });
    expect(res.count).toBe(2);
    expect(text().trim().split('\n')).toHaveLength(2);
  });
});

// The parts of HAR 1.2 that viewers rely on (http://www.softwareishard.com/blog/har-12-spec/).
const nameValue = { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' } } };
const HAR_SCHEMA = {
  type: 'object',
  required: ['log'],
  properties: {
    log: {
      type: 'object',
      required: ['version', 'creator', 'entries'],
      properties: {
        version: { const: '1.2' },
        creator: { type: 'object', required: ['name', 'version'], properties: { name: { const: 'Streamtap' }, version: { type: 'string' } } },
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['startedDateTime', 'time', 'request', 'response', 'cache', 'timings'],
            properties: {
              startedDateTime: { type: 'string', format: 'date-time' },
              time: { type: 'number', minimum: 0 },
              request: {
                type: 'object',
                required: ['method', 'url', 'httpVersion', 'cookies', 'headers', 'queryString', 'headersSize', 'bodySize'],
                properties: {
                  url: { type: 'string', format: 'uri' },
                  headers: { type: 'array', items: nameValue },
                  queryString: { type: 'array', items: nameValue },
                  postData: { type: 'object', required: ['mimeType', 'text'] },
                },
              },
              response: {
                type: 'object',
                required: ['status', 'statusText', 'httpVersion', 'cookies', 'headers', 'content', 'redirectURL', 'headersSize', 'bodySize'],
                properties: {
                  status: { type: 'integer' },
                  headers: { type: 'array', items: nameValue },
                  content: { type: 'object', required: ['size', 'mimeType'], properties: { size: { type: 'integer' }, text: { type: 'string' } } },
                },
              },
              cache: { type: 'object' },
              timings: {
                type: 'object',
                required: ['send', 'wait', 'receive'],
                properties: { send: { type: 'number', minimum: 0 }, wait: { type: 'number', minimum: 0 }, receive: { type: 'number', minimum: 0 } },
              },
              _streamtap: { type: 'object', required: ['outcome', 'diagnosis', 'usage'] },
            },
          },
        },
      },
    },
  },
};

describe('HAR writer', () => {
  // HAR_SCHEMA lists only the keywords HAR viewers need, so strict mode's "every
  // required property is also described" rule does not fit it.
  const harAjv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(harAjv);
  const validateHar = harAjv.compile(HAR_SCHEMA);

  it('writes a HAR 1.2 document with one entry per record', async () => {
    const har = JSON.parse(await exportToString('har', FIXTURES, { includeEvents: true })) as { log: { entries: unknown[] } };
    expectValid(validateHar, har);
    expect(har.log.entries).toHaveLength(FIXTURES.length);
    const empty = JSON.parse(await exportToString('har', [])) as { log: { entries: unknown[] } };
    expectValid(validateHar, empty);
  });

  it('names Streamtap and its version as the creator, and records the export filters', async () => {
    const { out, text } = collector();
    await writeHarExport([completedWithTools], out, { filters: { outcome: ['completed'] }, creatorVersion: '0.1.0', exportedAt: new Date(T0) });
    const har = JSON.parse(text()) as { log: { creator: unknown; _streamtap: unknown } };
    expect(har.log.creator).toEqual({ name: 'Streamtap', version: '0.1.0' });
    expect(har.log._streamtap).toEqual({ formatVersion: 1, exportedAt: '2025-06-01T12:00:00.000Z', filters: { outcome: ['completed'] } });
  });

  it('maps a streamed answer to its reassembled text and the timings to wait + receive = time', () => {
    const e = toHarEntry(completedWithTools);
    expect(e.request).toMatchObject({ method: 'POST', url: 'https://api.anthropic.com/v1/messages' });
    expect(e.request.postData).toEqual({ mimeType: 'application/json', text: completedWithTools.requestBody.text });
    expect(e.request.headers).toContainEqual({ name: 'x-api-key', value: 'sk-ant-…wxyz' });
    expect(e.response).toMatchObject({ status: 200, statusText: 'OK' });
    expect(e.response.content.text).toBe('Hello there.');
    expect(e.timings).toMatchObject({ send: 0, wait: 120, receive: 1380 });
    expect(e.time).toBe(1500);
    expect(e._streamtap).toMatchObject({ outcome: 'completed', stopReason: 'tool_use', diagnosis: completedWithTools.diagnosis, usage: { inputTokens: 1200 } });
    expect(e._streamtap.toolCalls).toHaveLength(2);
    expect('events' in e._streamtap).toBe(false);
  });

  it('keeps the provider error body, and marks a request that never got a response', () => {
    const err = toHarEntry(rateLimited);
    expect(err.response).toMatchObject({ status: 429, statusText: 'Too Many Requests' });
    expect(err.response.content).toMatchObject({ mimeType: 'application/json', text: rateLimited.responseBody!.text, size: 118 });
    expect(err._streamtap.error?.retryAfterS).toBe(17);

    const down = toHarEntry(unreachable);
    expect(down.response).toMatchObject({ status: 0, statusText: '', bodySize: -1 });
    expect(down.timings).toMatchObject({ wait: 3, receive: 0 });
    expect(down._streamtap).toMatchObject({ outcome: 'upstream_unreachable', proxyError: 'connect ECONNREFUSED 127.0.0.1:11434' });

    const live = toHarEntry(inProgress);
    expect(live.timings).toMatchObject({ wait: 200, receive: 0 });
  });

  it('carries the query string, with credentials redacted', () => {
    const e = toHarEntry(leaky);
    expect(e.request.queryString).toEqual([
      { name: 'key', value: '…abcd' },
      { name: 'alt', value: 'sse' },
    ]);
  });
});

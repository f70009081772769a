// The record's copy of a request body: model and stream flag read from the top level
// of the JSON in any split, compressed bodies decoded only up to the capture limit.

import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestBodyCapture } from '../../src-main/core/recorder/request-body.js';
import { TopLevelJsonScanner } from '../../src-main/core/recorder/request-sniff.js';

function scan(text: string, cuts: number[] = []): { model: string | null; stream: boolean | null } {
  const bytes = Buffer.from(text);
  const s = new TopLevelJsonScanner();
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    s.push(bytes.subarray(at, Math.max(at, Math.min(cut, bytes.length))));
    at = Math.max(at, Math.min(cut, bytes.length));
  }
  s.push(bytes.subarray(at));
  return { model: s.model, stream: s.stream };
}

describe('TopLevelJsonScanner', () => {
  it('reads model and stream wherever they sit, and only at the top level', () => {
    expect(scan('{"model":"gpt-5","stream":true,"messages":[]}')).toEqual({ model: 'gpt-5', stream: true });
    expect(scan('{ "messages": [{"role":"user","content":"say \\"model\\": \\"x\\" {"}], "stream" : false , "model" : "claude-sonnet-4-6" }')).toEqual({
      model: 'claude-sonnet-4-6',
      stream: false,
    });
    expect(scan('{"metadata":{"model":"nested","stream":true},"input":"hi"}')).toEqual({ model: null, stream: null });
    expect(scan('{"model":"caf\\u00e9 \\"q\\" \\\\"}')).toEqual({ model: 'café "q" \\', stream: null });
    expect(scan('[{"model":"x"}]')).toEqual({ model: null, stream: null });
    expect(scan('model=gpt-5&stream=true')).toEqual({ model: null, stream: null });
  });

  it('agrees with JSON.parse on any object, split at any bytes', () => {
    const value = fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.constant(null), fc.array(fc.string({ unit: 'grapheme' })), fc.dictionary(fc.string(), fc.string()));
    const body = fc.record(
      { model: fc.string({ unit: 'grapheme', maxLength: 40 }), stream: fc.boolean(), messages: fc.array(fc.record({ role: fc.string(), content: fc.string({ unit: 'binary' }) })), extra: value },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, fc.array(fc.nat({ max: 400 }), { maxLength: 6 }), fc.boolean(), (obj, cuts, pretty) => {
        const text = JSON.stringify(obj, null, pretty ? 2 : undefined);
        const got = scan(text, cuts);
        expect(got.model).toBe(typeof obj.model === 'string' ? obj.model : null);
        expect(got.stream).toBe(typeof obj.stream === 'boolean' ? obj.stream : null);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RequestBodyCapture', () => {
  it('keeps an identity body up to the cap, counting all of it', async () => {
    const c = new RequestBodyCapture(undefined, 16);
    c.push(Buffer.from('{"model":"m1",'));
    c.push(Buffer.from('"stream":true,"x":"0123456789"}'));
    const got = await c.end();
    expect(got.body).toEqual({ text: '{"model":"m1","s', bytes: 45, truncated: true });
    expect(got.model).toBe('m1');
    expect(c.rawBytes).toBe(45);
  });

  it('decodes a gzip bomb only up to the cap', async () => {
    // 64 MiB of spaces inside a JSON string, gzipped to ~64 KB.
    const gzip = zlib.createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzip.on('data', (b: Buffer) => parts.push(b));
    const done = new Promise((r) => gzip.once('end', r));
    gzip.write('{"model":"bomb","stream":true,"messages":[{"role":"user","content":"');
    const spaces = Buffer.alloc(1024 * 1024, 0x20);
    for (let i = 0; i < 64; i++) gzip.write(spaces);
    gzip.end('"}]}');
    await done;
    const bomb = Buffer.concat(parts);
    expect(bomb.length).toBeLessThan(200_000);

    const cap = 256 * 1024;
    const c = new RequestBodyCapture('gzip', cap);
    for (let at = 0; at < bomb.length; at += 16_384) c.push(bomb.subarray(at, at + 16_384));
    const got = await c.end();
    expect(got.body.text.length).toBe(cap);
    expect(got.body.truncated).toBe(true);
    // Decoding stopped soon after the cap, nowhere near the 64 MiB the bomb holds.
    expect(got.body.bytes).toBeLessThan(cap + 2 * 1024 * 1024);
    expect(got).toMatchObject({ model: 'bomb', stream: true });
  });

  it('keeps what decoded of a broken compressed body, and nothing of an unknown encoding', async () => {
    const whole = zlib.gzipSync(Buffer.from('{"model":"cut","stream":true}'));
    const cut = new RequestBodyCapture('gzip', 1024);
    cut.push(whole.subarray(0, whole.length - 6));
    expect((await cut.end()).model).toBe('cut');
    const unknown = new RequestBodyCapture('compress', 1024);
    unknown.push(Buffer.from('x'));
    expect((await unknown.end()).body).toEqual({ text: '', bytes: 0, truncated: false });
  });
});

// The recorder's one table of content decoders: how a Content-Encoding is read, and
// which Accept-Encoding codings give the record a body it can read.

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canDecode, decodingFor } from '../../src-main/core/recorder/decoding.js';

describe('decodingFor', () => {
  it('reads a body without an encoding, or with identity, as it is', () => {
    expect(decodingFor(undefined)).toEqual({ kind: 'identity' });
    expect(decodingFor('')).toEqual({ kind: 'identity' });
    expect(decodingFor(' Identity ')).toEqual({ kind: 'identity' });
  });

  it('gives a working decoder for an encoding in any case, and none for one it does not know', async () => {
    const d = decodingFor(' GZIP');
    expect(d.kind).toBe('decoder');
    if (d.kind !== 'decoder') return;
    const out: Buffer[] = [];
    d.decoder.on('data', (b: Buffer) => out.push(b));
    const ended = new Promise((resolve) => d.decoder.once('end', resolve));
    d.decoder.end(gzipSync('hello'));
    await ended;
    expect(Buffer.concat(out).toString()).toBe('hello');
    expect(decodingFor('compress')).toEqual({ kind: 'undecodable' });
    expect(decodingFor('gzip, br')).toEqual({ kind: 'undecodable' });
  });
});

describe('canDecode', () => {
  it('accepts the decodable codings, identity and *, and nothing else', () => {
    for (const c of ['gzip', 'x-gzip', 'deflate', 'br', 'identity', '*']) expect(canDecode(c)).toBe(true);
    expect(canDecode('compress')).toBe(false);
    expect(canDecode('zstd')).toBe(decodingFor('zstd').kind === 'decoder');
  });
});

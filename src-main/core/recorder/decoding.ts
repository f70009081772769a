// The content decoders the recorder reads bodies with (response and request alike),
// in one table: what it can decode is also what the proxy lets a provider choose
// (forwarder.ts narrows the client's Accept-Encoding to it). Streams, not the *Sync
// functions: they run on libuv's thread pool in small steps, so a large or hostile
// body never holds the event loop.

import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

// Z_SYNC_FLUSH on finish: a body cut mid-block still yields what was decodable.
const FLUSH = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
/** zstd needs Node >= 22.15 (Electron has it; plain Node 20 does not). */
const zstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;

/** Content-Encoding (lower case) -> a new decoder for it. */
const DECODERS: ReadonlyMap<string, () => Transform> = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip(FLUSH)],
  ['x-gzip', () => zlib.createGunzip(FLUSH)],
  ['deflate', () => zlib.createInflate(FLUSH)],
  ['br', () => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })],
  ...(zstd ? [['zstd', () => zstd()] as [string, () => Transform]] : []),
]);

/** How a body with this Content-Encoding is read: as it is, through a decoder, or not
 * at all (an encoding this runtime cannot decode: the record keeps no text of it). */
export type BodyDecoding = { kind: 'identity' } | { kind: 'decoder'; decoder: Transform } | { kind: 'undecodable' };

export function decodingFor(contentEncoding: string | undefined): BodyDecoding {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return { kind: 'identity' };
  const make = DECODERS.get(enc);
  return make ? { kind: 'decoder', decoder: make() } : { kind: 'undecodable' };
}

/** Whether an Accept-Encoding coding (lower case, no parameters) yields a body the
 * recorder can read: a decodable one, identity, or `*` (which a provider answers with
 * one of its own choice, in practice gzip). */
export function canDecode(coding: string): boolean {
  return coding === 'identity' || coding === '*' || DECODERS.has(coding);
}

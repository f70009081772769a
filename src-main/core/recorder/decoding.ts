// The content decoders the recorder reads bodies with (response and request alike).
// Streams, not the *Sync functions: they run on libuv's thread pool in small steps, so
// a large or hostile body never holds the event loop.

import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

/** A decoder for a Content-Encoding, or null when this runtime has none for it
 * (zstd needs Node >= 22.15). */
export function createDecoder(encoding: string): Transform | null {
  // Z_SYNC_FLUSH on finish: a body cut mid-block still yields what was decodable.
  const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(opts);
    case 'deflate':
      return zlib.createInflate(opts);
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    case 'zstd': {
      const z = zlib as unknown as { createZstdDecompress?: () => Transform };
      return z.createZstdDecompress ? z.createZstdDecompress() : null;
    }
    default:
      return null;
  }
}

// The record's copy of a request body, taken while the body passes through: decoded
// (gzip, deflate, br, zstd) as a stream and only up to the capture limit, so a gzip
// bomb is inflated to the limit and no further; and sniffed for the two fields the
// record needs (`model`, `stream`) by request-sniff.ts's scanner as it is kept.
// Decompression runs on libuv's thread pool in 16 KB steps, so it never holds the
// event loop for long.

import type { Transform } from 'node:stream';
import type { CapturedBody } from '../../common/record.js';
import { decodingFor } from './decoding.js';
import { TopLevelJsonScanner } from './request-sniff.js';

/** How long end() waits for a decoder to hand over what it holds. */
const DECODER_DRAIN_MS = 2_000;

export interface CapturedRequest {
  body: CapturedBody;
  /** the kept, decoded bytes `body.text` was made from (the session linker reads them) */
  bytes: Buffer;
  model: string | null;
  /** `stream: true` at the body's top level */
  stream: boolean;
}

/**
 * One request body's capture. push() every chunk as it passes (after it went on its
 * way), end() once the body is complete or cut.
 */
export class RequestBodyCapture {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  /** decoded bytes seen (all of them for an identity body; up to the cap, then where decoding stopped, for a compressed one) */
  private decodedBytes = 0;
  private truncated = false;
  private readonly scanner = new TopLevelJsonScanner();
  private readonly decoder: Transform | null;
  private readonly undecodable: boolean;
  private decoderDone: Promise<void> = Promise.resolve();
  rawBytes = 0;

  constructor(
    contentEncoding: string | undefined,
    private readonly cap: number,
  ) {
    const decoding = decodingFor(contentEncoding);
    this.decoder = decoding.kind === 'decoder' ? decoding.decoder : null;
    this.undecodable = decoding.kind === 'undecodable';
    const d = this.decoder;
    if (d) {
      d.on('data', (buf: Buffer) => this.decoded(buf));
      this.decoderDone = new Promise<void>((resolve) => {
        d.once('end', resolve);
        d.once('close', resolve);
        // A broken compressed body must not break the recording; keep what decoded.
        d.once('error', () => resolve());
      });
    }
  }

  push(chunk: Buffer): void {
    this.rawBytes += chunk.length;
    if (this.undecodable) return;
    if (this.decoder) {
      if (!this.decoder.destroyed) this.decoder.write(chunk);
    } else this.decoded(chunk);
  }

  private decoded(buf: Buffer): void {
    this.decodedBytes += buf.length;
    if (this.kept < this.cap) {
      const room = this.cap - this.kept;
      const part = buf.length <= room ? buf : buf.subarray(0, room);
      this.parts.push(part);
      this.kept += part.length;
      if (!this.scanner.finished) this.scanner.push(part);
    }
    if (this.decodedBytes > this.cap) {
      this.truncated = true;
      // Past the cap nothing more is kept: stop inflating (a gzip bomb ends here).
      this.decoder?.destroy();
    }
  }

  /** What the record keeps; waits (bounded) for the decoder to hand over what it holds. */
  async end(): Promise<CapturedRequest> {
    const d = this.decoder;
    if (d && !d.destroyed) {
      d.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.decoderDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, DECODER_DRAIN_MS)))]);
      clearTimeout(timer);
      d.destroy();
    }
    return this.result();
  }

  /** The body ended early (client gone, refused): stop decoding, keep what is there. */
  abandon(): CapturedRequest {
    this.decoder?.destroy();
    return this.result();
  }

  private result(): CapturedRequest {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts.length = 0;
    return {
      body: { text: bytes.toString('utf8'), bytes: this.decodedBytes, truncated: this.truncated },
      bytes,
      model: this.scanner.model !== null ? this.scanner.model.slice(0, 200) : null,
      stream: this.scanner.stream === true,
    };
  }
}

// The record's copy of a request body, taken while the body passes through: decoded
// (gzip, deflate, br, zstd) as a stream and only up to the capture limit, so a gzip
// bomb is inflated to the limit and no further; and sniffed for the two fields the
// record needs (`model`, `stream`) by a scanner that reads the JSON's top level without
// building it, so a 30 MB prompt never meets a JSON.parse on the proxy's thread.
// Decompression runs on libuv's thread pool in 16 KB steps; the scan is a native
// indexOf over string contents. Neither holds the event loop for long.

import type { Transform } from 'node:stream';
import type { CapturedBody } from '../../common/record.js';
import { createDecoder } from './decoding.js';

/** The longest `model` value kept (the record stores 200 characters of it). */
const MODEL_BYTES = 1_000;
/** How long end() waits for a decoder to hand over what it holds. */
const DECODER_DRAIN_MS = 2_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

type Depth1State = 'key' | 'colon' | 'value' | 'literal' | 'after';

/**
 * Reads `model` (a string) and `stream` (a boolean) from the top level of a JSON object
 * fed in pieces, skipping everything else without allocating. Stops at the end of the
 * top-level object, or at the first sign the body is not a JSON object.
 */
export class TopLevelJsonScanner {
  model: string | null = null;
  stream: boolean | null = null;
  private depth = 0;
  private done = false;
  private inString = false;
  /** backslashes just before the current position inside a string (odd = escaping) */
  private backslashes = 0;
  private state: Depth1State = 'key';
  /** which depth-1 string is being read: a key, a `model` value, or nothing kept */
  private capture: 'key' | 'model' | null = null;
  private captured: number[] = [];
  private key = '';
  private literal = '';

  get finished(): boolean {
    return this.done;
  }

  push(buf: Uint8Array): void {
    let i = 0;
    const n = buf.length;
    while (i < n && !this.done) {
      if (this.inString) {
        i = this.inStringFrom(buf, i);
        continue;
      }
      const c = buf[i]!;
      i++;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (this.depth === 1 && this.state === 'literal') this.endLiteral();
        continue;
      }
      if (this.depth === 0) {
        // The first non-blank byte must open an object (a UTF-8 BOM is skipped).
        if (c === 0x7b) {
          this.depth = 1;
          this.state = 'key';
        } else if (c !== 0xef && c !== 0xbb && c !== 0xbf) this.done = true;
        continue;
      }
      if (this.depth === 1) this.atDepth1(c);
      else if (c === QUOTE) this.openString(null);
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 1) this.state = 'after';
      }
    }
  }

  private atDepth1(c: number): void {
    switch (this.state) {
      case 'key':
        if (c === QUOTE) this.openString('key');
        else if (c === 0x7d) this.done = true;
        else this.done = true; // not JSON
        return;
      case 'colon':
        if (c === 0x3a) this.state = 'value';
        else this.done = true;
        return;
      case 'value':
        if (c === QUOTE) this.openString(this.key === 'model' ? 'model' : null);
        else if (c === 0x7b || c === 0x5b) this.depth++;
        else {
          this.state = 'literal';
          this.literal = String.fromCharCode(c);
        }
        return;
      case 'literal':
        if (c === 0x2c || c === 0x7d) {
          this.endLiteral();
          this.afterValue(c);
        } else if (this.literal.length < 8) this.literal += String.fromCharCode(c);
        return;
      case 'after':
        this.afterValue(c);
        return;
    }
  }

  private afterValue(c: number): void {
    if (c === 0x2c) this.state = 'key';
    else if (c === 0x7d) this.done = true;
    else this.done = true;
  }

  private endLiteral(): void {
    if (this.key === 'stream') this.stream = this.literal === 'true';
    this.state = 'after';
  }

  private openString(capture: 'key' | 'model' | null): void {
    this.inString = true;
    this.backslashes = 0;
    this.capture = capture;
    this.captured = [];
  }

  /** Consumes string bytes from `i`; returns where to go on. */
  private inStringFrom(buf: Uint8Array, i: number): number {
    const n = buf.length;
    if (this.capture === null) {
      // Jump from quote to quote; a quote preceded by an odd run of backslashes is escaped.
      for (;;) {
        const q = (buf as Buffer).indexOf(QUOTE, i);
        if (q === -1) {
          this.backslashes = trailingBackslashes(buf, i, n, this.backslashes);
          return n;
        }
        const run = trailingBackslashes(buf, i, q, this.backslashes);
        this.backslashes = 0;
        if (run % 2 === 1) {
          i = q + 1;
          continue;
        }
        this.closeString();
        return q + 1;
      }
    }
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c === QUOTE && this.backslashes % 2 === 0) {
        this.closeString();
        return i + 1;
      }
      this.backslashes = c === BACKSLASH ? this.backslashes + 1 : 0;
      if (this.captured.length < (this.capture === 'key' ? 16 : MODEL_BYTES)) this.captured.push(c);
    }
    return n;
  }

  private closeString(): void {
    this.inString = false;
    const capture = this.capture;
    this.capture = null;
    if (this.depth !== 1) return;
    if (this.state === 'key') {
      this.key = capture === 'key' ? decodeJsonString(this.captured) ?? '' : '';
      this.state = 'colon';
      return;
    }
    if (capture === 'model') this.model = decodeJsonString(this.captured);
    this.state = 'after';
  }
}

function trailingBackslashes(buf: Uint8Array, from: number, to: number, carried: number): number {
  let k = to - 1;
  while (k >= from && buf[k] === BACKSLASH) k--;
  const run = to - 1 - k;
  return k < from ? carried + run : run;
}

function decodeJsonString(bytes: number[]): string | null {
  try {
    return JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string;
  } catch {
    return null; // cut inside an escape: better no value than a wrong one
  }
}

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
  private undecodable = false;
  private decoderDone: Promise<void> = Promise.resolve();
  rawBytes = 0;

  constructor(
    contentEncoding: string | undefined,
    private readonly cap: number,
  ) {
    const enc = (contentEncoding ?? '').trim().toLowerCase();
    this.decoder = enc && enc !== 'identity' ? createDecoder(enc) : null;
    if (enc && enc !== 'identity' && !this.decoder) this.undecodable = true;
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

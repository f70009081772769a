// Sniffs a request body for the two fields the record needs (`model`, `stream`) with a
// scanner that reads the JSON's top level without building it, so a 30 MB prompt never
// meets a JSON.parse on the proxy's thread. The scan is a native indexOf over string
// contents: it never holds the event loop for long.

/** The longest `model` value kept (the record stores 200 characters of it). */
const MODEL_BYTES = 1_000;

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

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

/**
 * Where a request body's text splits into parts worth storing apart (the store keeps each
 * once, however many bodies repeat it: an agent re-sends its whole conversation every
 * turn). Returns [start, end) pairs of UTF-16 indices, in order and not overlapping: for
 * a JSON object, each top-level value, except that an array value gives one pair per
 * element (each message of `messages` or `input`, each tool of `tools`, each block of
 * `system`). The text between the pairs (keys, commas, brackets, blanks) is not listed.
 * Where the text stops being JSON as expected (not an object, cut at the capture limit),
 * the rest from there is one last pair. A scan of the string, not a JSON.parse: string
 * contents are jumped over with a native indexOf, and nothing is built but the offsets.
 */
export function jsonValueRanges(text: string): number[] {
  const n = text.length;
  const out: number[] = [];
  let i = skipBlanks(text, 0);
  // A byte-order mark is not JSON, but a body may start with one.
  if (text.charCodeAt(i) === 0xfeff) i = skipBlanks(text, i + 1);
  if (text.charCodeAt(i) !== 0x7b) return n > 0 ? [0, n] : out;
  /** where the text last matched the expected shape: the rest is one part from here */
  let good = i + 1;
  i = skipBlanks(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return out;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) break;
    i = skipBlanks(text, stringEnd(text, i));
    if (i > n || text.charCodeAt(i) !== 0x3a) break;
    i = skipBlanks(text, i + 1);
    if (text.charCodeAt(i) === 0x5b) {
      // An array: each element a part of its own.
      i = skipBlanks(text, i + 1);
      good = i;
      let closed = text.charCodeAt(i) === 0x5d;
      while (!closed) {
        const end = valueEnd(text, i);
        if (end < 0) break;
        out.push(i, end);
        good = end;
        i = skipBlanks(text, end);
        const c = text.charCodeAt(i);
        if (c === 0x5d) closed = true;
        else if (c === 0x2c) i = skipBlanks(text, i + 1);
        else break;
      }
      if (!closed) break;
      i = skipBlanks(text, i + 1);
    } else {
      const end = valueEnd(text, i);
      if (end < 0) break;
      out.push(i, end);
      i = skipBlanks(text, end);
    }
    good = i;
    const c = text.charCodeAt(i);
    if (c === 0x7d) return out;
    if (c !== 0x2c) break;
    i = skipBlanks(text, i + 1);
    good = i;
  }
  if (good < n) out.push(good, n);
  return out;
}

function skipBlanks(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The index after the string whose opening quote is at `i`, or text.length + 1 if it never closes. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length + 1;
    let k = q - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    // An odd run of backslashes escapes the quote.
    if ((q - 1 - k) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** The index after the JSON value starting at `i`, or -1 if it does not end in the text. */
function valueEnd(text: string, i: number): number {
  const n = text.length;
  const c = text.charCodeAt(i);
  if (c === QUOTE) {
    const end = stringEnd(text, i);
    return end > n ? -1 : end;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let k = i; k < n; k++) {
      const d = text.charCodeAt(k);
      if (d === QUOTE) {
        k = stringEnd(text, k) - 1;
        if (k >= n) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let k = i;
  for (; k < n; k++) {
    const d = text.charCodeAt(k);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
  }
  return k > i && k < n ? k : -1;
}

// Where each member of a JSON object's top level lies in its raw bytes, without parsing
// it. The turn fingerprint hashes those byte ranges as they are (conversation.ts): an
// agent's request body reaches hundreds of KB, and serialising its parsed messages
// again to hash them costs milliseconds on the proxy's event loop, while hashing the
// bytes already in hand costs a fraction of one.
//
// Only called on bodies JSON.parse has accepted, so it may assume valid JSON; it still
// never throws and answers null for anything it cannot follow. UTF-8 is scanned as
// bytes: every byte of a multi-byte character is ≥ 0x80, so none of them can be
// mistaken for a quote, a backslash or a bracket.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipSpace(buf: Uint8Array, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/** Index just past the string that opens at `i` (a quote), or -1. */
function stringEnd(buf: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    // indexOf is a native scan: strings are most of an LLM request's bytes.
    const q = buf.indexOf(QUOTE, from);
    if (q === -1) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > i && buf[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the value that starts at `i`, or -1. */
function valueEnd(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return stringEnd(buf, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < buf.length; ) {
      const b = buf[j]!;
      if (b === QUOTE) {
        j = stringEnd(buf, j);
        if (j === -1) return -1;
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // a number, true, false or null: up to the next delimiter
  let j = i;
  while (j < buf.length) {
    const b = buf[j];
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
    j++;
  }
  return j > i ? j : -1;
}

/**
 * The top-level members of the JSON object in `buf`: key (its bytes as written, read
 * as latin1, escapes not decoded) → [start, end) of its value's bytes. Null when `buf` is not an object.
 * A key written twice keeps its last value, as JSON.parse does.
 */
export function topLevelMembers(buf: Buffer): Map<string, [number, number]> | null {
  let i = skipSpace(buf, 0);
  if (buf[i] !== OPEN_BRACE) return null;
  const out = new Map<string, [number, number]>();
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return out;
  for (;;) {
    if (buf[i] !== QUOTE) return null;
    const keyEnd = stringEnd(buf, i);
    if (keyEnd === -1) return null;
    // latin1: cheaper than utf8, and a key is only compared with ASCII names or sorted.
    const key = buf.toString('latin1', i + 1, keyEnd - 1);
    i = skipSpace(buf, keyEnd);
    if (buf[i] !== COLON) return null;
    const start = skipSpace(buf, i + 1);
    const end = valueEnd(buf, start);
    if (end === -1) return null;
    out.set(key, [start, end]);
    i = skipSpace(buf, end);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    return buf[i] === CLOSE_BRACE ? out : null;
  }
}

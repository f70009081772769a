// Output-token estimates for answers whose stream carried no usage (aborted streams,
// tools that did not ask for it), counted with a real BPE tokenizer: gpt-tokenizer's
// o200k_base, the encoding of GPT-4o, GPT-4.1, GPT-5 and the o-series. For Claude it is
// an approximation (Anthropic's tokenizer is not public); records mark it "estimated".
//
// Loading: the o200k_base ranks are ~2 MB of JavaScript and take ~150 ms and tens of
// MB to build, so nothing is loaded when this module is imported. The first
// estimateTokens() call loads the encoder synchronously through createRequire (the
// package ships a CommonJS build beside its ESM one), which keeps estimateTokens a
// plain synchronous function the recorder can call anywhere. preloadTokenizer() does
// the same load on a later turn of the event loop, so the core can warm it up after it
// starts listening instead of paying for it in the middle of a stream. A single
// loading path (require only, never a parallel dynamic import) means the encoder can
// never be built twice.

import { createRequire } from 'node:module';

type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;

const ENCODING_MODULE = 'gpt-tokenizer/encoding/o200k_base';

/**
 * Text is counted in slices of at most this many UTF-16 units, cut at whitespace when
 * possible. BPE merging inside one pre-tokenized piece is superlinear in its length:
 * 20,000 identical letters take ~0.25 s in one piece and 2 MB of them never finish.
 * Cutting before a space between two words does not change the pre-tokenization, so
 * counts stay exact for ordinary text; only runs with no such space for a whole
 * lookback window are cut elsewhere, off by a token or so per cut.
 */
const SLICE_CHARS = 1024;
/** how far back from a slice's end to look for whitespace to cut before */
const CUT_LOOKBACK = 256;

// Special-token markers such as "<|endoftext|>" in model output are counted as the
// plain text they are; by default the encoder would throw on them.
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };

let countTokensFn: CountTokens | null = null;

function load(): CountTokens {
  if (countTokensFn) return countTokensFn;
  const require = createRequire(import.meta.url);
  const mod = require(ENCODING_MODULE) as { countTokens: CountTokens };
  countTokensFn = mod.countTokens;
  return countTokensFn;
}

/** Whether the encoder is loaded (for tests and diagnostics). */
export function isTokenizerLoaded(): boolean {
  return countTokensFn !== null;
}

/**
 * Loads the encoder on a later turn of the event loop. The load itself is synchronous
 * (~150 ms); call this once the core is up, so the first estimate does not stall a
 * stream. Rejects only if the package is missing.
 */
export function preloadTokenizer(): Promise<void> {
  if (countTokensFn) return Promise.resolve();
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        load();
        resolve();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Where to end the slice starting at `start`: before whitespace, never inside a surrogate pair. */
function sliceEnd(text: string, start: number): number {
  const hard = start + SLICE_CHARS;
  if (hard >= text.length) return text.length;
  for (let i = hard; i > hard - CUT_LOOKBACK; i--) {
    // A single space between two non-space characters always starts a new piece
    // (" word", " +="), so cutting before it leaves the pieces as they were.
    if (text.charCodeAt(i) === 0x20 && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i + 1))) return i;
  }
  const c = text.charCodeAt(hard - 1);
  return c >= 0xd800 && c <= 0xdbff ? hard - 1 : hard;
}

/** Tokens in `text` under o200k_base. Loads the encoder on first use. */
export function estimateTokens(text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  const count = load();
  let total = 0;
  for (let start = 0; start < text.length; ) {
    const end = sliceEnd(text, start);
    total += count(text.slice(start, end), ENCODE_OPTIONS);
    start = end;
  }
  return total;
}

// Output-token estimates for answers whose stream carried no usage (aborted streams,
// tools that did not ask for it), counted with a real BPE tokenizer: gpt-tokenizer's
// o200k_base, the encoding of GPT-4o, GPT-4.1, GPT-5 and the o-series. For Claude it is
// an approximation (Anthropic's tokenizer is not public); records mark it "estimated".
//
// The o200k_base ranks are ~2 MB of JavaScript and take ~150 ms and ~70 MB to build, so
// the recorder never loads them on the proxy's thread: it counts on a worker thread
// (token-estimator.ts), started on first need. The counting algorithm is plain
// JavaScript source, shared by both sides: the worker evaluates it, and
// estimateTokens() here builds it with new Function (for tests and tools that want a
// synchronous count), so there is one algorithm and no transpiler output can leak into
// the worker. Nothing is loaded when this module is imported.

import { createRequire } from 'node:module';

export type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;

/** The CommonJS build of the encoder (the package ships one beside its ESM build). */
export const ENCODING_MODULE = 'gpt-tokenizer/encoding/o200k_base';

/**
 * Source of `(countTokens) => (text) => number`.
 *
 * Text is counted in slices of at most SLICE_CHARS UTF-16 units, cut at whitespace when
 * possible. BPE merging inside one pre-tokenized piece is superlinear in its length:
 * 20,000 identical letters take ~0.25 s in one piece and 2 MB of them never finish.
 * Cutting before a space between two words does not change the pre-tokenization, so
 * counts stay exact for ordinary text; only runs with no such space for a whole
 * lookback window (CUT_LOOKBACK) are cut elsewhere, off by a token or so per cut.
 * A single space between two non-space characters always starts a new piece
 * (" word", " +="), so cutting before it leaves the pieces as they were; a cut never
 * falls inside a surrogate pair. Special-token markers such as "<|endoftext|>" in model
 * output are counted as the plain text they are (by default the encoder throws on them).
 */
export const COUNT_SOURCE = `
  const SLICE_CHARS = 1024;
  const CUT_LOOKBACK = 256;
  const OPTIONS = { disallowedSpecial: new Set() };
  const isSpace = (c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  const sliceEnd = (text, start) => {
    const hard = start + SLICE_CHARS;
    if (hard >= text.length) return text.length;
    for (let i = hard; i > hard - CUT_LOOKBACK; i--) {
      if (text.charCodeAt(i) === 0x20 && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i + 1))) return i;
    }
    const c = text.charCodeAt(hard - 1);
    return c >= 0xd800 && c <= 0xdbff ? hard - 1 : hard;
  };
  return (text) => {
    if (typeof text !== 'string' || text.length === 0) return 0;
    let total = 0;
    for (let start = 0; start < text.length; ) {
      const end = sliceEnd(text, start);
      total += countTokens(text.slice(start, end), OPTIONS);
      start = end;
    }
    return total;
  };
`;

export function makeCounter(countTokens: CountTokens): (text: string) => number {
  return new Function('countTokens', COUNT_SOURCE)(countTokens) as (text: string) => number;
}

let counter: ((text: string) => number) | null = null;

/** Whether this thread has loaded the encoder (for tests and diagnostics). */
export function isTokenizerLoaded(): boolean {
  return counter !== null;
}

/** Tokens in `text` under o200k_base, counted on this thread (loads the encoder here on
 * first use: ~150 ms and ~70 MB). The recorder uses the worker instead. */
export function estimateTokens(text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  if (!counter) {
    const mod = createRequire(import.meta.url)(ENCODING_MODULE) as { countTokens: CountTokens };
    counter = makeCounter(mod.countTokens);
  }
  return counter(text);
}

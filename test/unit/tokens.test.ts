import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { estimateTokens, isTokenizerLoaded } from '../../src-main/core/recorder/tokens.js';

const require = createRequire(import.meta.url);
const encoderInRequireCache = () => Object.keys(require.cache).some((k) => k.includes('gpt-tokenizer'));

type Reference = { countTokens: (text: string, options?: { disallowedSpecial?: Set<string> }) => number };
/** The library itself, for reference counts: estimateTokens must agree with it exactly
 * on ordinary text (it only slices the input to stay fast on pathological runs).
 * Required on demand so the laziness test sees an unloaded package. */
const reference = () => require('gpt-tokenizer/encoding/o200k_base') as Reference;
const count = (text: string) => reference().countTokens(text, { disallowedSpecial: new Set() });

describe('estimateTokens', () => {
  // Runs first: the module must not have built the encoder at import time.
  it('loads the encoder lazily, on first use', () => {
    // vitest runs each test file in its own process, so nothing else loaded it here.
    expect(encoderInRequireCache()).toBe(false);
    expect(isTokenizerLoaded()).toBe(false);
    expect(estimateTokens('')).toBe(0);
    expect(isTokenizerLoaded()).toBe(false); // nothing to count, nothing loaded
    expect(estimateTokens('hello')).toBe(1);
    expect(isTokenizerLoaded()).toBe(true);
    expect(encoderInRequireCache()).toBe(true);
  });

  it('counts o200k_base tokens, not characters / 4', () => {
    expect(estimateTokens('hello world')).toBe(2);
    // CJK and emoji are where a character heuristic is furthest off.
    for (const text of ['你好，世界！今天天气很好。', '🙂🚀🎉 emoji party', 'Grüße aus Köln — naïve café']) {
      expect(estimateTokens(text)).toBe(count(text));
    }
  });

  it('agrees with the library on long text that it counts in slices', () => {
    const prose = 'The quick brown fox jumps over the lazy dog; résumé 你好世界 🙂 const x = f(a, b);\n'.repeat(500);
    const code = 'export function add(a: number, b: number): number {\n  return a + b; // sum\n}\n\n'.repeat(300);
    expect(prose.length).toBeGreaterThan(20_000);
    expect(estimateTokens(prose)).toBe(count(prose));
    expect(estimateTokens(code)).toBe(count(code));
  });

  it('counts special-token markers in model output as text instead of throwing', () => {
    expect(() => reference().countTokens('a <|endoftext|> b')).toThrow();
    expect(estimateTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('stays fast on a long run without spaces', () => {
    // Unsliced, BPE merging of one 200,000-letter piece does not finish in minutes.
    const started = performance.now();
    const n = estimateTokens('x'.repeat(200_000));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(n).toBeGreaterThan(20_000);
    expect(n).toBeLessThan(30_000);
  });

  it('is additive over pieces of a stream cut between words (the recorder counts new text only)', () => {
    const a = 'The model kept writing';
    const b = ' until the client left.';
    expect(estimateTokens(a) + estimateTokens(b)).toBe(estimateTokens(a + b));
  });
});

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenEstimator, type TokenEstimator } from '../../src-main/core/recorder/token-estimator.js';
import { estimateTokens, isTokenizerLoaded } from '../../src-main/core/recorder/tokens.js';

const require = createRequire(import.meta.url);
const encoderInRequireCache = () => Object.keys(require.cache).some((k) => k.includes('gpt-tokenizer'));

const made: TokenEstimator[] = [];
const estimator = (opts: Parameters<typeof createTokenEstimator>[0] = {}) => {
  const e = createTokenEstimator(opts);
  made.push(e);
  return e;
};
afterEach(async () => {
  await Promise.all(made.splice(0).map((e) => e.close()));
});

describe('the token estimator worker', () => {
  // Runs first: nothing in this process may have loaded the encoder yet.
  it('starts only when something needs counting, and counts off this thread', async () => {
    const e = estimator();
    expect(e.started).toBe(false);
    expect(await e.count(['', ''])).toBe(0);
    expect(e.started).toBe(false); // nothing to count, nothing started
    const n = await e.count(['The quick brown fox jumps over the lazy dog.', '{"city":"Paris"}']);
    expect(e.started).toBe(true);
    expect(isTokenizerLoaded()).toBe(false);
    expect(encoderInRequireCache()).toBe(false);
    // the same algorithm as the synchronous count (loaded here only now, for reference)
    expect(n).toBe(estimateTokens('The quick brown fox jumps over the lazy dog.') + estimateTokens('{"city":"Paris"}'));
  });

  it('counts long texts (sent as transferred bytes) exactly as the synchronous count', async () => {
    const e = estimator();
    const long = 'Grüße aus Köln — naïve café 你好世界 🙂 const x = f(a, b);\n'.repeat(3_000);
    expect(long.length).toBeGreaterThan(64 * 1024);
    const [a, b] = await Promise.all([e.count([long]), e.count(['short one', long])]);
    expect(a).toBe(estimateTokens(long));
    expect(b).toBe(estimateTokens('short one') + estimateTokens(long));
  });

  it('gives null and says why once when the tokenizer cannot load, and does not retry', async () => {
    const lines: string[] = [];
    const e = estimator({ modulePath: '/nonexistent/gpt-tokenizer/o200k_base.js', log: (m) => lines.push(m) });
    expect(await e.count(['some answer text'])).toBeNull();
    expect(await e.count(['more answer text'])).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^output tokens are not estimated for records without usage: the tokenizer worker did not start: .*Cannot find module/);
  });

  it('ends an idle worker, giving its memory back, and starts a new one for the next count', async () => {
    const e = estimator({ idleMs: 0 });
    expect(await e.count(['hello world'])).toBe(2);
    await vi.waitFor(() => expect(e.running).toBe(false), { timeout: 5_000, interval: 10 });
    expect(await e.count(['hello world again'])).toBe(estimateTokens('hello world again'));
  });

  it('never keeps a process alive once its counts are answered (a CLI command exits)', () => {
    const module = fileURLToPath(new URL('../../src-main/core/recorder/token-estimator.ts', import.meta.url));
    const script = `const { createTokenEstimator } = await import(${JSON.stringify(module)}); console.log(await createTokenEstimator().count(['hello world']));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2');
    expect(r.status).toBe(0);
  });

  it('starts a new worker after close()', async () => {
    const e = estimator();
    expect(await e.count(['hello world'])).toBe(2);
    await e.close();
    expect(await e.count(['hello world'])).toBe(2);
  });
});

// Context windows and prices from @pydantic/genai-prices: the per-tier rate table the
// catalog module prices with must say exactly what calcPrice says, record by record.

import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { contextWindow, costUsd, type ModelRef } from '../../src-main/core/sessions/catalog.js';

const AT = Date.UTC(2026, 5, 1, 12);
const ref = (upstream: string, model: string, upstreamUrl = `https://api.${upstream}.com/v1/x`): ModelRef => ({ upstream, upstreamUrl, model });

describe('costUsd', () => {
  it('agrees with calcPrice across models, cache reads and price tiers, in any order', () => {
    const cases: [string, string, number, number, number][] = [
      ['anthropic', 'claude-sonnet-4-5-20250929', 1_000, 0, 200],
      ['anthropic', 'claude-sonnet-4-5-20250929', 150_000, 100_000, 2_000],
      // above the 200k tier of Sonnet 4.5, at its edge, and back below it
      ['anthropic', 'claude-sonnet-4-5-20250929', 250_000, 120_000, 3_000],
      ['anthropic', 'claude-sonnet-4-5-20250929', 200_000, 0, 10],
      ['anthropic', 'claude-sonnet-4-5-20250929', 200_001, 0, 10],
      ['anthropic', 'claude-sonnet-4-5-20250929', 12, 0, 1],
      ['anthropic', 'claude-haiku-4-5', 40_000, 30_000, 500],
      ['openai', 'gpt-5', 10_000, 8_000, 1_500],
      ['openai', 'gpt-4o-mini', 500, 0, 0],
      ['openai', 'gpt-5.4', 300_000, 0, 100],
      // priced by date or time of day: calcPrice every time
      ['deepseek', 'deepseek-chat', 10_000, 2_000, 800],
    ];
    for (const [upstream, model, input, cached, output] of cases) {
      const expected = calcPrice({ input_tokens: input, cache_read_tokens: cached, output_tokens: output }, model, { providerId: upstream, timestamp: new Date(AT) })!.total_price;
      expect(costUsd(ref(upstream, model), { inputTokens: input, cachedTokens: cached, outputTokens: output }, AT), `${model} ${input}/${cached}/${output}`).toBeCloseTo(expected, 12);
    }
  });

  it('is null without usage, for an unknown model, and for a local server', () => {
    expect(costUsd(ref('openai', 'gpt-5'), { inputTokens: null, cachedTokens: null, outputTokens: null }, AT)).toBeNull();
    expect(costUsd(ref('openai', 'no-such-model-xyz'), { inputTokens: 10, cachedTokens: null, outputTokens: 1 }, AT)).toBeNull();
    expect(costUsd(ref('ollama', 'llama3.1', 'http://127.0.0.1:11434/v1/chat/completions'), { inputTokens: 10, cachedTokens: null, outputTokens: 1 }, AT)).toBeNull();
    expect(costUsd({ upstream: 'openai', upstreamUrl: '', model: null }, { inputTokens: 10, cachedTokens: null, outputTokens: 1 }, AT)).toBeNull();
  });

  it("prices an upstream of the user's own naming by its URL", () => {
    const expected = calcPrice({ input_tokens: 1_000, output_tokens: 100 }, 'anthropic/claude-sonnet-4.5', { providerId: 'openrouter', timestamp: new Date(AT) })!.total_price;
    const got = costUsd({ upstream: 'router', upstreamUrl: 'https://openrouter.ai/api/v1/chat/completions', model: 'anthropic/claude-sonnet-4.5' }, { inputTokens: 1_000, cachedTokens: null, outputTokens: 100 }, AT);
    expect(got).toBeCloseTo(expected, 12);
  });
});

describe('contextWindow', () => {
  it("is the catalog's window for the model, and null when it does not know the model", () => {
    expect(contextWindow(ref('anthropic', 'claude-sonnet-4-5-20250929'))).toBe(200_000);
    expect(contextWindow(ref('openai', 'gpt-4'))).toBe(8_192);
    expect(contextWindow(ref('openai', 'gpt-5'))).toBe(400_000);
    expect(contextWindow(ref('openai', 'no-such-model-xyz'))).toBeNull();
    // a local server is not priced, but a model the catalog knows by name still has its window
    expect(contextWindow(ref('local', 'gpt-4o-mini', 'http://localhost:8080/v1/chat/completions'))).toBe(128_000);
  });
});

// Context windows and prices, from the model catalog of @pydantic/genai-prices (bundled
// with the package, so it works offline; the package's auto-update from GitHub is never
// switched on). Why this catalog: see the README, "Dependencies, and why".
//
// Loading: the catalog is ~0.8 MB of JavaScript (~80 ms to load), needed only when a
// session is read, so nothing is loaded until the first lookup — never by the proxy.
//
// Speed: calcPrice() matches the model and rebuilds its unit table on every call (~0.1
// to 0.3 ms); a sessions list prices tens of thousands of records. Within one price tier
// a price is linear in the token counts, so for each model and tier the rates are read
// once from calcPrice itself and every record is priced with them (exactly what
// calcPrice would say: a unit test compares the two). Models whose price depends on
// the date or the time of day are priced by calcPrice, record by record.

import { createRequire } from 'node:module';
import type * as GenaiPrices from '@pydantic/genai-prices';

type Lib = typeof GenaiPrices;
type PriceOptions = NonNullable<Parameters<Lib['calcPrice']>[2]>;

let lib: Lib | null = null;
function catalog(): Lib {
  // The CommonJS build, loaded synchronously: lookups are plain function calls.
  lib ??= createRequire(import.meta.url)('@pydantic/genai-prices') as Lib;
  return lib;
}

/** Where a request went and which model it asked for. */
export interface ModelRef {
  /** the upstream's name (openai, anthropic, openrouter, or one the user configured) */
  upstream: string;
  upstreamUrl: string;
  /** the model the provider reported, else the one requested */
  model: string | null;
}

export interface TokenCounts {
  inputTokens: number | null;
  cachedTokens: number | null;
  outputTokens: number | null;
}

interface Rates {
  perRequest: number;
  input: number;
  /** added per cached input token (cache reads cost less than input: negative) */
  cached: number;
  output: number;
}

interface Entry {
  /** options that select the provider for pricing; null when it is not a known provider (local servers) */
  pricing: PriceOptions | null;
  contextWindow: number | null;
  /** price depends on the date or time of day: no rate table */
  conditional: boolean;
  /** input-token counts above which another price tier applies */
  tierStarts: number[];
  rates: Map<number, Rates>;
}

const entries = new Map<string, Entry | null>();
const MAX_ENTRIES = 2_000;

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return true;
  }
}

/** The provider to price with: the upstream's own name when the catalog knows it
 * (openai, anthropic, openrouter, groq…), else the provider whose API the URL is; none
 * for a local server. */
function pricingFor(ref: ModelRef): PriceOptions | null {
  const { findProvider } = catalog();
  if (findProvider({ providerId: ref.upstream })) return { providerId: ref.upstream };
  if (!isLoopbackUrl(ref.upstreamUrl) && findProvider({ providerApiUrl: ref.upstreamUrl })) return { providerApiUrl: ref.upstreamUrl };
  return null;
}

/** Whether the catalog has a provider of this name (then the URL does not matter). */
const namedProviders = new Map<string, boolean>();

function entryFor(ref: ModelRef): Entry | null {
  if (!ref.model) return null;
  let named = namedProviders.get(ref.upstream);
  if (named === undefined) {
    named = catalog().findProvider({ providerId: ref.upstream }) !== undefined;
    namedProviders.set(ref.upstream, named);
  }
  const key = named ? `${ref.upstream}\u0000\u0000${ref.model}` : `${ref.upstream}\u0000${/^\w+:\/\/[^/]+/.exec(ref.upstreamUrl)?.[0] ?? ''}\u0000${ref.model}`;
  const known = entries.get(key);
  if (known !== undefined) return known;
  const { calcPrice } = catalog();
  const pricing = pricingFor(ref);
  let entry: Entry | null = null;
  const priced = pricing ? calcPrice({}, ref.model, pricing) : null;
  if (priced) {
    const tierStarts = new Set<number>();
    for (const v of Object.values(priced.model_price)) {
      if (v && typeof v === 'object') for (const t of v.tiers) tierStarts.add(t.start);
    }
    entry = {
      pricing,
      contextWindow: priced.model.context_window ?? null,
      conditional: Array.isArray(priced.model.prices),
      tierStarts: [...tierStarts],
      rates: new Map(),
    };
  } else {
    // Not priced (a local server, an unknown model): the window may still be known by name.
    const byName = calcPrice({}, ref.model);
    if (byName?.model.context_window) entry = { pricing: null, contextWindow: byName.model.context_window, conditional: false, tierStarts: [], rates: new Map() };
  }
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(key, entry);
  return entry;
}

/** The model's context window in tokens, or null when the catalog does not know it. */
export function contextWindow(ref: ModelRef): number | null {
  return entryFor(ref)?.contextWindow ?? null;
}

function calc(e: Entry, model: string, input: number, cached: number, output: number, at: Date): number {
  const r = catalog().calcPrice({ input_tokens: input, cache_read_tokens: cached, output_tokens: output }, model, { ...e.pricing!, timestamp: at });
  return r?.total_price ?? 0;
}

/**
 * What the request cost in USD at the catalog's prices, or null when the provider or
 * model is not priced or no usage is known. Input includes cached tokens (priced at the
 * cache-read rate); cache writes are not recorded separately and are priced as input.
 */
export function costUsd(ref: ModelRef, usage: TokenCounts, at: number): number | null {
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  const e = entryFor(ref);
  if (!e?.pricing || !ref.model) return null;
  const input = Math.max(0, usage.inputTokens ?? 0);
  const cached = Math.min(input, Math.max(0, usage.cachedTokens ?? 0));
  const output = Math.max(0, usage.outputTokens ?? 0);
  if (e.conditional) return calc(e, ref.model, input, cached, output, new Date(at));
  // calcPrice picks a tier when the input is strictly above its start.
  const tier = e.tierStarts.filter((s) => input > s).length;
  let rates = e.rates.get(tier);
  if (!rates) {
    // Read the rates at this request's own input count, so the tier is the one calcPrice picks.
    const t = Math.max(input, 1);
    if (e.tierStarts.filter((s) => t > s).length !== tier) return calc(e, ref.model, input, cached, output, new Date(at));
    const now = new Date(at);
    const base = calc(e, ref.model, 0, 0, 0, now);
    const inputOnly = calc(e, ref.model, t, 0, 0, now);
    rates = {
      perRequest: base,
      input: (inputOnly - base) / t,
      cached: (calc(e, ref.model, t, t, 0, now) - inputOnly) / t,
      output: (calc(e, ref.model, t, 0, t, now) - inputOnly) / t,
    };
    e.rates.set(tier, rates);
  }
  return rates.perRequest + rates.input * input + rates.cached * cached + rates.output * output;
}

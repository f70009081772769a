// Input tokens of a turn no attempt reported usage for (every attempt failed before the
// provider counted), estimated from its request body with the tokenizer. Run when a
// session is read, never by the proxy. The counting runs on the tokenizer's worker
// thread (an agent's 500 KB conversation takes ~150 ms to tokenize, and in the desktop
// app and `serve` this thread streams every live request); only the body's parse runs
// here (~2 ms per MiB).

import { sharedTokenEstimator, type TokenEstimator } from '../recorder/token-estimator.js';

/** Providers add a few tokens per message for its role and separators. */
const PER_MESSAGE_TOKENS = 4;
const CACHE_SIZE = 1_000;
const cache = new Map<string, number>();

/** The text the model reads: every string of the system prompt, the messages or input,
 * and the tool definitions (names, descriptions, schemas). */
function promptText(body: string): { text: string; messages: number } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // A body cut at the capture limit is no JSON any more: count it as it is.
    return { text: body, messages: 0 };
  }
  const o = (json ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') parts.push(v);
    else if (depth < 64 && v !== null && typeof v === 'object') for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  for (const key of ['system', 'instructions', 'messages', 'input', 'tools']) walk(o[key], 0);
  const list = o['messages'] ?? o['input'];
  return { text: parts.join('\n'), messages: Array.isArray(list) ? list.length : typeof list === 'string' ? 1 : 0 };
}

/** Tokens of the request body's prompt; `key` (the record id) caches the answer. Null
 * when the tokenizer could not count (its worker failed; said once in the log). */
export async function estimateInputTokens(key: string, body: string, estimator: TokenEstimator = sharedTokenEstimator()): Promise<number | null> {
  const known = cache.get(key);
  if (known !== undefined) return known;
  const { text, messages } = promptText(body);
  const counted = await estimator.count([text]);
  if (counted === null) return null;
  const total = messages * PER_MESSAGE_TOKENS + counted;
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, total);
  return total;
}

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProviderError, providerErrorFromJson, retryAfterSeconds } from '../../src-main/core/recorder/provider-error.js';

const FIXTURES = new URL('../fixtures/transcripts/', import.meta.url);
const body = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

describe('parseProviderError: provider JSON bodies', () => {
  it('reads an Anthropic 429 rate_limit_error and its retry-after seconds', () => {
    const err = parseProviderError(
      429,
      { 'content-type': 'application/json', 'retry-after': '20', 'anthropic-ratelimit-tokens-remaining': '0' },
      JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 400,000 input tokens per minute.' }, request_id: 'req_011CU1' }),
    );
    expect(err).toEqual({
      type: 'rate_limit_error',
      code: null,
      message: 'This request would exceed the rate limit for your organization of 400,000 input tokens per minute.',
      retryAfterS: 20,
    });
  });

  it('reads an OpenAI 429 with retry-after-ms, which wins over retry-after', () => {
    const err = parseProviderError(
      429,
      { 'retry-after': '2', 'retry-after-ms': '1500' },
      JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29760, Requested 1200. Please try again in 1.92s.', type: 'tokens', param: null, code: 'rate_limit_exceeded' } }),
    );
    expect(err.type).toBe('tokens');
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toMatch(/^Rate limit reached for gpt-4o/);
    expect(err.retryAfterS).toBe(1.5);
  });

  it('reads insufficient_quota', () => {
    const err = parseProviderError(429, {}, JSON.stringify({ error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }));
    expect(err).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota', retryAfterS: null });
  });

  it('reads a 529 overloaded_error', () => {
    expect(parseProviderError(529, { 'x-should-retry': 'true' }, body('anthropic-error-overloaded.json'))).toEqual({
      type: 'overloaded_error',
      code: null,
      message: 'Overloaded',
      retryAfterS: null,
    });
  });

  it("reads OpenAI's context_length_exceeded", () => {
    expect(parseProviderError(400, {}, body('openai-error-context-length.json'))).toEqual({
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131409 tokens. Please reduce the length of the messages.",
      retryAfterS: null,
    });
  });

  it("reads Anthropic's prompt-too-long invalid_request_error", () => {
    expect(parseProviderError(400, {}, body('anthropic-error-prompt-too-long.json'))).toEqual({
      type: 'invalid_request_error',
      code: null,
      message: 'prompt is too long: 210000 tokens > 200000 maximum',
      retryAfterS: null,
    });
  });

  it('reads 401s from both providers', () => {
    expect(parseProviderError(401, {}, JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' }, request_id: 'req_1' }))).toEqual({
      type: 'authentication_error',
      code: null,
      message: 'invalid x-api-key',
      retryAfterS: null,
    });
    const openai = parseProviderError(
      401,
      {},
      JSON.stringify({ error: { message: 'Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
    );
    expect(openai).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(openai.message).toMatch(/^Incorrect API key provided/);
  });

  it('reads OpenAI-compatible shapes: OpenRouter numeric code, vLLM flat object, FastAPI detail, Google array', () => {
    expect(parseProviderError(402, {}, '{"error":{"message":"Insufficient credits","code":402}}')).toEqual({ type: null, code: '402', message: 'Insufficient credits', retryAfterS: null });
    expect(parseProviderError(400, {}, '{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}')).toEqual({
      type: 'BadRequestError',
      code: '400',
      message: 'max_tokens is too large',
      retryAfterS: null,
    });
    expect(parseProviderError(404, {}, '{"detail":"Not Found"}')).toEqual({ type: null, code: null, message: 'Not Found', retryAfterS: null });
    expect(parseProviderError(429, {}, '[{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}]')).toEqual({
      type: 'RESOURCE_EXHAUSTED',
      code: '429',
      message: 'Resource has been exhausted',
      retryAfterS: null,
    });
  });

  it('summarises JSON of an unknown shape as text', () => {
    expect(parseProviderError(500, {}, '{"ok":false}')).toEqual({ type: null, code: null, message: '{"ok":false}', retryAfterS: null });
  });
});

describe('parseProviderError: text and HTML bodies', () => {
  it('reduces a 500 HTML page to its text', () => {
    const html = `<!DOCTYPE html>
<html><head><title>500 Internal Server Error</title><style>body { color: red; }</style></head>
<body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center>
<script>var x = "<b>not shown</b>";</script></body></html>`;
    expect(parseProviderError(500, { 'content-type': 'text/html' }, html)).toEqual({
      type: null,
      code: null,
      message: '500 Internal Server Error 500 Internal Server Error nginx',
      retryAfterS: null,
    });
  });

  it('cuts a long HTML page to 300 characters', () => {
    const html = `<html><body><h1>502 Bad Gateway</h1><p>${'The upstream server sent an invalid response. '.repeat(40)}</p></body></html>`;
    const err = parseProviderError(502, {}, html);
    expect(err.message).toMatch(/^502 Bad Gateway The upstream server/);
    expect(err.message!.length).toBeLessThanOrEqual(300);
    expect(err.message).not.toContain('<');
  });

  it('keeps a plain-text body, trimmed, and cuts it to 300 characters', () => {
    expect(parseProviderError(503, {}, '  upstream connect error or disconnect/reset before headers. reset reason: connection termination\n')).toEqual({
      type: null,
      code: null,
      message: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
      retryAfterS: null,
    });
    const long = parseProviderError(500, {}, 'é'.repeat(1000));
    expect(long.message).toBe('é'.repeat(300));
  });

  it('never ends the summary on half a surrogate pair', () => {
    const err = parseProviderError(500, {}, 'a' + '😀'.repeat(400));
    expect(err.message!.length).toBe(299);
    expect(err.message!.endsWith('😀')).toBe(true);
  });

  it('treats truncated JSON as text', () => {
    expect(parseProviderError(500, {}, '{"error": {"message": "cut')).toMatchObject({ type: null, message: '{"error": {"message": "cut' });
  });

  it('gives all-null fields for an empty body but keeps retry-after', () => {
    expect(parseProviderError(503, { 'Retry-After': '7' }, '')).toEqual({ type: null, code: null, message: null, retryAfterS: 7 });
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2025-09-10T12:00:00Z');

  it('reads delta-seconds, case-insensitively', () => {
    expect(retryAfterSeconds({ 'Retry-After': '120' }, now)).toBe(120);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(retryAfterSeconds({ 'retry-after': 'Wed, 10 Sep 2025 12:00:30 GMT' }, now)).toBe(30);
    expect(retryAfterSeconds({ 'retry-after': 'Wed, 10 Sep 2025 11:59:00 GMT' }, now)).toBe(0);
    expect(parseProviderError(429, { 'retry-after': 'Wed, 10 Sep 2025 12:01:00 GMT' }, '', now).retryAfterS).toBe(60);
  });

  it('reads retry-after-ms as seconds', () => {
    expect(retryAfterSeconds({ 'retry-after-ms': '250' }, now)).toBe(0.25);
  });

  it('ignores values that are neither', () => {
    expect(retryAfterSeconds({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(retryAfterSeconds({ 'retry-after-ms': 'x', 'retry-after': '-5' }, now)).toBeNull();
    expect(retryAfterSeconds({}, now)).toBeNull();
  });
});

describe('providerErrorFromJson', () => {
  it('returns null for values that carry no error', () => {
    expect(providerErrorFromJson(null)).toBeNull();
    expect(providerErrorFromJson({ type: 'error' })).toBeNull();
    expect(providerErrorFromJson({ error: {} })).toBeNull();
    expect(providerErrorFromJson([1, 2])).toBeNull();
  });

  it('never throws on any input', () => {
    fc.assert(
      fc.property(fc.integer(), fc.dictionary(fc.string(), fc.string()), fc.oneof(fc.string(), fc.json()), (status, headers, text) => {
        const err = parseProviderError(status, headers, text);
        expect(err.message === null || err.message.length <= 2000).toBe(true);
        expect(err.retryAfterS === null || err.retryAfterS >= 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

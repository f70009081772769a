// Self-test of the fake upstream: the official SDKs must accept what it sends, or every
// integration test built on it would be testing a fiction.
import http from 'node:http';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from 'gpt-tokenizer';
import { ZSTD_SUPPORTED, scenarioHeader, startFakeUpstream, startHangingServer, startRefusingPort } from '../fixtures/fake-upstream.js';
import type { ContentEncoding, FakeUpstream } from '../fixtures/fake-upstream.js';

let fake: FakeUpstream;
beforeEach(async () => {
  fake = await startFakeUpstream();
});
afterEach(async () => {
  await fake.close();
});

const openai = (): OpenAI => new OpenAI({ baseURL: fake.url + '/v1', apiKey: 'sk-test', maxRetries: 0 });
const anthropic = (): Anthropic => new Anthropic({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });

describe('fake upstream', () => {
  it('streams a chat completion the openai SDK reads, with a usage chunk only when include_usage is asked', async () => {
    const text = 'Bonjour 🌍 世界, streaming works.';
    const stream = await openai().chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
      { headers: scenarioHeader({ text, chunks: 4 }) },
    );
    let got = '';
    let contentChunks = 0;
    let usageChunk: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.model).toBe('gpt-4o-mini');
      const c = chunk.choices[0];
      if (c?.delta.content) {
        got += c.delta.content;
        contentChunks++;
      }
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.choices.length === 0) usageChunk = chunk;
    }
    expect(got).toBe(text);
    expect(contentChunks).toBe(4);
    expect(finish).toBe('stop');
    expect(usageChunk?.usage?.completion_tokens).toBe(countTokens(text));
    expect(usageChunk?.usage?.total_tokens).toBe(usageChunk!.usage!.prompt_tokens + usageChunk!.usage!.completion_tokens);

    const plain = await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let sawUsage = false;
    for await (const chunk of plain) if (chunk.choices.length === 0 || chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);

    const reqs = await fake.waitForRequests(2, 1000);
    expect(JSON.parse(reqs[0]!.body).model).toBe('gpt-4o-mini');
    expect(reqs[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(reqs[0]!.aborted).toBe(false);
  });

  it('streams a Responses answer the openai SDK accumulates, with ordered sequence numbers and usage', async () => {
    fake.setDefaultScenario({ reasoning: 'Let me think.', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } } });
    const seen: string[] = [];
    const seqs: number[] = [];
    const stream = openai().responses.stream({ model: 'gpt-5', input: 'hello' });
    stream.on('event', (e) => {
      seen.push(e.type);
      seqs.push(e.sequence_number);
    });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toMatch(/^Hello from the fake upstream! 🚀 流式传输正常工作。/);
    expect(final.usage?.output_tokens).toBeGreaterThan(final.usage!.output_tokens_details.reasoning_tokens);
    expect(final.output.find((o) => o.type === 'function_call')).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(seen.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(seen).toContain('response.reasoning_summary_text.delta');
    expect(seen.filter((t) => t === 'response.output_text.delta')).toHaveLength(5);
    expect(seen.at(-1)).toBe('response.completed');
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('streams Anthropic messages the SDK assembles, thinking, text and stop reason included', async () => {
    const client = anthropic();
    const raw = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true });
    const types: string[] = [];
    for await (const ev of raw) types.push(ev.type);
    expect(types).toEqual(['message_start', 'content_block_start', ...Array(5).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);

    const msg = await client.messages
      .stream(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        { headers: scenarioHeader({ reasoning: 'hmm', text: 'Short 答え.', finishByLength: true }) },
      )
      .finalMessage();
    expect(msg.model).toBe('claude-haiku-4-5');
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(msg.content[1]).toMatchObject({ type: 'text', text: 'Short 答え.' });
    expect(msg.usage.output_tokens).toBe(countTokens('Short 答え.') + countTokens('hmm'));
    const [, second] = await fake.waitForRequests(2, 1000);
    // this SDK version sends its key as a bearer token, not x-api-key
    expect(second!.headers.authorization).toBe('Bearer test');

    // the SDK hides pings; the wire has them, after the first block start, and every event is named
    const wire = await (
      await fetch(fake.url + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', stream: true, messages: [] }) })
    ).text();
    const names = wire.split('\n\n').filter(Boolean).map((block) => /^event: (\S+)\ndata: \{"type":"(\S+?)"/.exec(block)?.slice(1));
    expect(names.every((n) => n !== undefined && n[0] === n[1])).toBe(true);
    expect(names.slice(0, 3).map((n) => n![0])).toEqual(['message_start', 'content_block_start', 'ping']);
  });

  it('answers a 429 in each provider shape, which the SDKs surface as RateLimitError', async () => {
    fake.enqueue({ status: 429, retryAfter: 7 }, { status: 429 });
    const oa = await openai()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(oa).toBeInstanceOf(OpenAI.RateLimitError);
    expect((oa as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    expect((oa as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');

    const an = await anthropic()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(an).toBeInstanceOf(Anthropic.RateLimitError);
    expect((an as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('gzip-compresses a stream and still delivers the first event before the last is written', async () => {
    const res = await fetch(fake.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ encoding: 'gzip', chunks: 3, chunkDelayMs: 150 }) },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }),
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let deltasAtFirstContent = 0;
    for (let i = 0; i < 1000; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const deltas = text.match(/"content":"[^"]+"/g)?.length ?? 0;
      if (deltasAtFirstContent === 0) deltasAtFirstContent = deltas;
    }
    // The deltas are 150 ms apart: gzip flushed per event delivers the first alone;
    // unflushed gzip would deliver all three together at the end.
    expect(deltasAtFirstContent).toBe(1);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text.match(/"content":"[^"]+"/g)).toHaveLength(3);
  });

  it('compresses streams with br, deflate and (where Node has it) zstd, decodable to the plain SSE', async () => {
    const decoders: Partial<Record<ContentEncoding, (b: Buffer) => Buffer>> = { br: zlib.brotliDecompressSync, deflate: zlib.inflateSync };
    if (ZSTD_SUPPORTED) decoders.zstd = zlib.zstdDecompressSync;
    for (const [encoding, decode] of Object.entries(decoders) as [ContentEncoding, (b: Buffer) => Buffer][]) {
      // node:http, not fetch: fetch would decode (or refuse) the encoding itself
      const raw = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.request(fake.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', ...scenarioHeader({ encoding, chunks: 2 }) } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }));
      });
      expect(raw.headers['content-encoding']).toBe(encoding);
      const text = decode(raw.body).toString('utf8');
      expect(text.match(/"content":"[^"]+"/g)).toHaveLength(2);
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    }
  });

  it('records a client abort and resets the socket itself without counting that as an abort', async () => {
    const ac = new AbortController();
    const res = await fetch(fake.url + '/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ stallAfterEvents: 2 }) },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', stream: true, messages: [] }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    ac.abort();
    const aborted = await fake.waitForAbort(0, 1000);
    expect(aborted.aborted).toBe(true);
    expect(aborted.eventsSent).toBe(2);

    const broken = await fetch(fake.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ disconnectAfterEvents: 2 }) },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }),
    });
    await expect(broken.text()).rejects.toThrow();
    await expect(fake.waitForAbort(1, 1000)).rejects.toThrow(/not aborted/);
    expect(fake.requests[1]!.eventsSent).toBe(2);
    expect(fake.requests[1]!.socketId).not.toBe(fake.requests[0]!.socketId);
    expect(fake.connectionCount).toBe(2);
  });

  it('offers a refusing port and a server that never answers', async () => {
    const port = await startRefusingPort();
    await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();

    const hanging = await startHangingServer();
    try {
      const ac = new AbortController();
      const pending = fetch(hanging.url + '/v1/models', { signal: ac.signal });
      const timer = setTimeout(() => ac.abort(), 100);
      await expect(pending).rejects.toThrow();
      clearTimeout(timer);
      expect(hanging.connectionCount).toBe(1);
    } finally {
      await hanging.close();
    }
  });
});

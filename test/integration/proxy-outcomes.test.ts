// Every outcome and phase of DESIGN.md, on all three APIs, driven by the official
// SDKs through real sockets: what the client received, and what was recorded.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { scenarioHeader, startHangingServer, startRefusingPort, type Scenario } from '../fixtures/fake-upstream.js';

type ApiName = 'chat' | 'responses' | 'messages';

interface Received {
  text: string;
  error: (Error & { status?: number; headers?: unknown }) | null;
  deltas: number;
}

/** Streams through the proxy with the API's official SDK; aborts after N text deltas if asked. */
async function stream(h: Harness, api: ApiName, scenario: Scenario, opts: { abortAfterDeltas?: number; abortAfterMs?: number } = {}): Promise<Received> {
  const ac = new AbortController();
  const out: Received = { text: '', error: null, deltas: 0 };
  const onDelta = (d: string | undefined | null) => {
    if (!d) return;
    out.text += d;
    out.deltas++;
    if (opts.abortAfterDeltas !== undefined && out.deltas >= opts.abortAfterDeltas) ac.abort();
  };
  const timer = opts.abortAfterMs !== undefined ? setTimeout(() => ac.abort(), opts.abortAfterMs) : null;
  try {
    if (api === 'chat') {
      const s = await h.openai(scenario).chat.completions.create(
        { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Say hello' }], stream: true, stream_options: { include_usage: true } },
        { signal: ac.signal },
      );
      for await (const chunk of s) onDelta(chunk.choices[0]?.delta?.content);
    } else if (api === 'responses') {
      const s = await h.openai(scenario).responses.create({ model: 'gpt-5', input: 'Say hello', stream: true }, { signal: ac.signal });
      for await (const ev of s) if (ev.type === 'response.output_text.delta') onDelta(ev.delta);
    } else {
      const s = await h.anthropic(scenario).messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'Say hello' }], stream: true },
        { signal: ac.signal },
      );
      for await (const ev of s) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') onDelta(ev.delta.text);
    }
  } catch (err) {
    out.error = err as Received['error'];
  } finally {
    if (timer) clearTimeout(timer);
  }
  return out;
}

async function whole(h: Harness, api: ApiName, scenario: Scenario): Promise<Received> {
  const out: Received = { text: '', error: null, deltas: 0 };
  try {
    if (api === 'chat') {
      const r = await h.openai(scenario).chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Say hello' }] });
      out.text = r.choices[0]?.message.content ?? '';
    } else if (api === 'responses') {
      const r = await h.openai(scenario).responses.create({ model: 'gpt-5', input: 'Say hello' });
      out.text = r.output_text;
    } else {
      const r = await h.anthropic(scenario).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'Say hello' }] });
      out.text = r.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    }
  } catch (err) {
    out.error = err as Received['error'];
  }
  return out;
}

const API_KIND = { chat: 'chat.completions', responses: 'responses', messages: 'messages' } as const;

describe.each(['chat', 'responses', 'messages'] as const)('%s API through the proxy', (api) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('streams the answer through and records it completed with usage, TTFT, reasoning and tool calls', async () => {
    const got = await stream(h, api, { chunks: 8, reasoning: 'Let me think about greetings.', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } } });
    expect(got.error).toBeNull();
    expect(got.deltas).toBeGreaterThanOrEqual(8);
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.phase).toBe('complete');
    expect(rec!.api).toBe(API_KIND[api]);
    expect(rec!.stream).toBe(true);
    expect(rec!.httpStatus).toBe(200);
    expect(rec!.responseText).toBe(got.text);
    expect(rec!.responseReasoning).toBe('Let me think about greetings.');
    expect(rec!.toolCalls).toHaveLength(1);
    expect(rec!.toolCalls[0]!.name).toBe('get_weather');
    expect(JSON.parse(rec!.toolCalls[0]!.arguments)).toEqual({ city: 'Paris' });
    expect(rec!.evidence.terminalEventSeen).toBe(true);
    expect(rec!.usage.estimated).toBe(false);
    expect(rec!.usage.inputTokens).toBeGreaterThan(0);
    expect(rec!.usage.outputTokens).toBeGreaterThan(0);
    expect(rec!.timings.ttftMs).toBeGreaterThan(0);
    expect(rec!.timings.ttftMs!).toBeLessThanOrEqual(rec!.timings.durationMs!);
    expect(rec!.stopReason).not.toBeNull();
    expect(rec!.client).toMatch(api === 'messages' ? /^Anthropic\/JS / : /^OpenAI\/JS /);
    expect(rec!.model).toBe(api === 'messages' ? 'claude-sonnet-4-6' : api === 'chat' ? 'gpt-5-mini' : 'gpt-5');
    expect(rec!.events.length).toBe(rec!.eventCount);
    expect(rec!.diagnosis).toMatch(/completed normally/);
  });

  it('records a whole non-stream answer as completed', async () => {
    const got = await whole(h, api, {});
    expect(got.error).toBeNull();
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.stream).toBe(false);
    expect(rec!.responseText).toBe(got.text);
    expect(rec!.usage.outputTokens).toBeGreaterThan(0);
    expect(rec!.responseBody?.text).toContain('"usage"');
  });

  it('shows a stop by length as truncated', async () => {
    await stream(h, api, { finishByLength: true });
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.truncated).toBe(true);
    expect(rec!.diagnosis).toMatch(/cut off by the output token limit/);
  });

  it('client abort mid-stream: the upstream request is cancelled at once and the partial text kept', async () => {
    const got = await stream(h, api, { chunks: 40, chunkDelayMs: 40, noUsage: true }, { abortAfterDeltas: 3 });
    expect(got.deltas).toBe(3);
    const aborted = await h.fake.waitForAbort(0, 3_000);
    expect(aborted.aborted).toBe(true);
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('client_aborted');
    expect(rec!.phase).toBe('mid_stream');
    expect(rec!.evidence.closeSide).toBe('client');
    expect(rec!.evidence.terminalEventSeen).toBe(false);
    expect(rec!.responseText.startsWith(got.text)).toBe(true);
    expect(rec!.responseText.length).toBeGreaterThan(0);
    expect(rec!.usage.estimated).toBe(true);
    expect(rec!.usage.outputTokens).toBeGreaterThan(0);
    expect(rec!.diagnosis).toMatch(/^The client closed the connection .* into the stream after ~\d+ output tokens; no terminal event had arrived/);
  });

  it('client abort before the response: phase before_response, upstream cancelled', async () => {
    const got = await stream(h, api, { headerDelayMs: 5_000 }, { abortAfterMs: 300 });
    expect(got.error).not.toBeNull();
    await h.fake.waitForAbort(0, 3_000);
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('client_aborted');
    expect(rec!.phase).toBe('before_response');
    expect(rec!.httpStatus).toBeNull();
  });

  it('an upstream 429 reaches the client unchanged and its error body is parsed', async () => {
    const got = await stream(h, api, { status: 429, retryAfter: 20, errorType: 'rate_limit_error', errorMessage: 'Rate limit reached for requests' });
    expect(got.error?.status).toBe(429);
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('upstream_error');
    expect(rec!.httpStatus).toBe(429);
    expect(rec!.error).toMatchObject({ type: 'rate_limit_error', message: 'Rate limit reached for requests', retryAfterS: 20 });
    expect(rec!.diagnosis).toBe('The provider answered HTTP 429 (rate_limit_error: Rate limit reached for requests). Retry after 20 s.');
  });

  it('an error event inside a 200 stream is upstream_error', async () => {
    await stream(h, api, { chunks: 10, errorEventAfter: 4 });
    const [rec] = await h.waitForFinished(1);
    expect(rec!.httpStatus).toBe(200);
    expect(rec!.outcome).toBe('upstream_error');
    expect(rec!.phase).toBe('mid_stream');
    expect(rec!.error?.message).toBeTruthy();
    expect(rec!.diagnosis).toMatch(/sent an error event/);
  });

  it('a provider reset mid-stream breaks the client connection too and is upstream_disconnected', async () => {
    const got = await stream(h, api, { chunks: 20, chunkDelayMs: 10, disconnectAfterEvents: 5 });
    expect(got.error).not.toBeNull(); // never a clean end that would look complete
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('upstream_disconnected');
    expect(rec!.phase).toBe('mid_stream');
    expect(rec!.evidence.closeSide).toBe('upstream');
    expect(rec!.evidence.errorCode).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(rec!.eventCount).toBe(5);
    expect(rec!.diagnosis).toMatch(/dropped the connection/);
  });

  it('a stream that ends cleanly mid-answer, without its terminal event, is upstream_disconnected', async () => {
    await stream(h, api, { chunks: 10, endAfterEvents: 5 });
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('upstream_disconnected');
    expect(rec!.evidence.terminalEventSeen).toBe(false);
    expect(rec!.diagnosis).toMatch(/ended the stream/);
  });

  it('a provider that closes after headers but before any event: phase before_first_chunk', async () => {
    await stream(h, api, { disconnectAfterEvents: 0 });
    const [rec] = await h.waitForFinished(1);
    expect(rec!.outcome).toBe('upstream_disconnected');
    expect(rec!.phase).toBe('before_first_chunk');
  });

  it('a stream whose final usage arrived but not its terminal event is upstream_disconnected, saying it looked complete', async () => {
    // chat: finish + usage chunks without [DONE]; messages: message_delta (usage) without
    // message_stop; responses carries usage only in its terminal event.
    await stream(h, api, { chunks: 4, closeWithoutTerminal: true });
    const [rec] = await h.waitForFinished(1);
    expect(rec!.evidence.terminalEventSeen).toBe(false);
    expect(rec!.outcome).toBe('upstream_disconnected');
    expect(rec!.evidence.usageSeen).toBe(api !== 'responses');
    if (api !== 'responses') expect(rec!.diagnosis).toMatch(/the answer looked complete \(stop reason \w+ and usage had arrived\), but the provider never finished the stream/);
  });

  it('a client that leaves after final usage (no terminal event yet) stays completed', async () => {
    if (api === 'responses') return; // Responses carries its usage only in the terminal event
    // Learn where the terminal event comes, then stall right before it: the client reads
    // up to the final usage and leaves.
    await stream(h, api, { chunks: 4 });
    const [full] = await h.waitForFinished(1);
    const ac = new AbortController();
    const usageEvent = api === 'chat' ? '"usage":{' : '"type":"message_delta"';
    const res = await fetch(`${h.url}${api === 'chat' ? '/v1/chat/completions' : '/v1/messages'}`, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 4, stallAfterEvents: full!.eventCount - 1 }) },
      body: JSON.stringify({ model: 'm', max_tokens: 50, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes(usageEvent)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    ac.abort();
    const [, rec] = await h.waitForFinished(2);
    expect(rec!.evidence.usageSeen).toBe(true);
    expect(rec!.evidence.terminalEventSeen).toBe(false);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.phase).toBe('after_terminal');
    expect(rec!.evidence.closeSide).toBe('client');
  });

  it('a disconnect after the terminal event is completed', async () => {
    // Learn how many events a full answer has, then reset the socket right after them.
    await stream(h, api, { chunks: 4 });
    const [full] = await h.waitForFinished(1);
    await stream(h, api, { chunks: 4, disconnectAfterEvents: full!.eventCount });
    const [, rec] = await h.waitForFinished(2);
    expect(rec!.evidence.terminalEventSeen).toBe(true);
    expect(rec!.outcome).toBe('completed');
  });

  it('an unreachable upstream: the SDK gets a 502, the record says which URL failed and why', async () => {
    await h.close();
    const port = await startRefusingPort();
    h = await startHarness({ upstreams: { openai: `http://127.0.0.1:${port}`, anthropic: `http://127.0.0.1:${port}` } });
    const got = await stream(h, api, {});
    expect(got.error?.status).toBe(502);
    expect(got.error?.message).toContain('ECONNREFUSED');
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'upstream_unreachable', phase: 'before_response', httpStatus: 502 });
    expect(rec!.diagnosis).toContain(`http://127.0.0.1:${port}`);
  });

  it('no response headers within the header timeout: the SDK gets a 504, outcome timeout', async () => {
    await h.close();
    const hanging = await startHangingServer();
    try {
      h = await startHarness({ upstreams: { openai: hanging.url, anthropic: hanging.url }, timeouts: { headersMs: 300, idleMs: 60_000, connectMs: 5_000 } });
      const got = await stream(h, api, {});
      expect(got.error?.status).toBe(504);
      const [rec] = await h.waitForFinished(1);
      expect(rec).toMatchObject({ outcome: 'timeout', phase: 'before_response' });
    } finally {
      await h.close();
      await hanging.close();
      h = await startHarness();
    }
  });

  it('a stream that goes silent past the idle timeout: the SDK sees the break, outcome timeout mid_stream', async () => {
    await h.close();
    h = await startHarness({ timeouts: { headersMs: 60_000, idleMs: 300, connectMs: 5_000 } });
    const got = await stream(h, api, { chunks: 10, stallAfterEvents: 4 });
    expect(got.error).not.toBeNull();
    const [rec] = await h.waitForFinished(1);
    expect(rec).toMatchObject({ outcome: 'timeout', phase: 'mid_stream' });
    expect(rec!.eventCount).toBe(4);
    await h.fake.waitForAbort(0, 2_000);
  });
});

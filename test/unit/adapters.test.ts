import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiKind } from '../../src-main/common/record.js';
import { parseMessagesBody } from '../../src-main/core/recorder/adapters/anthropic-messages.js';
import { createAssembler, parseNonStreamBody } from '../../src-main/core/recorder/adapters/index.js';
import { parseChatBody } from '../../src-main/core/recorder/adapters/openai-chat.js';
import { parseResponsesBody } from '../../src-main/core/recorder/adapters/openai-responses.js';
import { AnswerBuilder, JsonStreamAssembler, type JsonObject } from '../../src-main/core/recorder/adapters/shared.js';
import { SseParser } from '../../src-main/core/recorder/sse-parser.js';
import type { EventEffect, SseEvent, StreamAssembler } from '../../src-main/core/recorder/types.js';

const FIXTURES = new URL('../fixtures/transcripts/', import.meta.url);

function transcript(name: string): SseEvent[] {
  const p = new SseParser();
  return [...p.push(readFileSync(new URL(name, FIXTURES))), ...p.end()];
}

function body(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** Runs a whole transcript through a fresh assembler. */
function run(api: ApiKind, events: SseEvent[], assembler: StreamAssembler = createAssembler(api)) {
  const effects = events.map((e) => assembler.onEvent(e));
  return { effects, result: assembler.snapshot(), assembler };
}

/** An SSE event from a JSON payload (with the `event:` field when given). */
function json(payload: unknown, event: string | null = null): SseEvent {
  return { event, data: JSON.stringify(payload), id: null };
}

const indexesWhere = (effects: EventEffect[], pred: (e: EventEffect) => boolean) =>
  effects.flatMap((e, i) => (pred(e) ? [i] : []));

describe('chat.completions stream', () => {
  it('assembles text, two parallel tool calls, final usage and the [DONE] terminal', () => {
    const events = transcript('openai-chat-tool-calls.sse');
    const { effects, result } = run('chat.completions', events);
    expect(result.text).toBe("I'll check the weather in 東京 🌧️ and Paris.");
    expect(result.reasoning).toBe('');
    expect(result.toolCalls).toEqual([
      { id: 'call_5mQxR2b8JkTz0VhN4yLcW1aP', name: 'get_weather', arguments: '{"location": "東京", "unit": "c"}' },
      { id: 'call_Hs8dK2nVq0ZrT6yBw3LxP9cM', name: 'get_weather', arguments: '{"location": "Paris", "unit": "c"}' },
    ]);
    expect(result.stopReason).toBe('tool_calls');
    expect(result.responseModel).toBe('gpt-4o-2024-08-06');
    expect(result.usage).toEqual({ inputTokens: 142, outputTokens: 58, reasoningTokens: 0, cachedTokens: 64, totalTokens: 200 });
    expect(result.usageSeen).toBe(true);
    expect(result.terminalSeen).toBe(true);
    expect(result.streamError).toBeNull();
    expect(result.badJson).toBe(0);
    expect(result.eventCount).toBe(events.length);
    expect(result.lastEventName).toBe('[DONE]');
    expect(result.textTruncated).toBe(false);

    // The role-only first chunk is not content: TTFT starts at the first text delta.
    expect(effects[0]!.contentDelta).toBe(false);
    expect(effects[1]!.contentDelta).toBe(true);
    expect(effects.map((e) => e.name)).toEqual([...Array<string>(events.length - 1).fill('chunk'), '[DONE]']);
    // Only the include_usage chunk (no choices) carries final usage; only [DONE] is terminal.
    expect(indexesWhere(effects, (e) => e.usage)).toEqual([events.length - 2]);
    expect(indexesWhere(effects, (e) => e.terminal)).toEqual([events.length - 1]);
    // The finish chunk (empty delta) and the usage chunk carry no content.
    expect(effects[events.length - 3]!.contentDelta).toBe(false);
    expect(effects[events.length - 2]!.contentDelta).toBe(false);
  });

  it('assembles OpenRouter reasoning, a length stop, and usage sent after the finish chunk', () => {
    const events = transcript('openrouter-chat-reasoning-length.sse');
    // the two ": OPENROUTER PROCESSING" comments are not events
    expect(events).toHaveLength(14);
    const { effects, result } = run('chat.completions', events);
    expect(result.reasoning).toBe('Okay, the user wants a haiku about autumn — 秋. Five-seven-five syllables.');
    expect(result.text).toBe('Crimson maple leaves\ndrift on the cold river — 🍁\nthe');
    expect(result.stopReason).toBe('length');
    expect(result.responseModel).toBe('deepseek/deepseek-r1-0528');
    expect(result.usage).toEqual({ inputTokens: 35, outputTokens: 64, reasoningTokens: null, cachedTokens: null, totalTokens: 99 });
    // The usage chunk still has a choice (finish_reason null): it is final because the
    // finish reason came before it.
    expect(indexesWhere(effects, (e) => e.usage)).toEqual([12]);
    expect(effects[0]!.contentDelta).toBe(true); // reasoning counts for TTFT
    expect(result.terminalSeen).toBe(true);
  });

  it('reads DeepSeek reasoning_content, and takes one of reasoning_content / reasoning when both are sent', () => {
    const { result } = run('chat.completions', [
      json({ choices: [{ index: 0, delta: { role: 'assistant', content: null, reasoning_content: 'Let me think' } }] }),
      json({ choices: [{ index: 0, delta: { content: null, reasoning_content: ' hard.', reasoning: ' hard.' } }] }),
      json({ choices: [{ index: 0, delta: { content: 'Answer' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, prompt_cache_hit_tokens: 8, completion_tokens_details: { reasoning_tokens: 15 } } }),
    ]);
    expect(result.reasoning).toBe('Let me think hard.');
    expect(result.text).toBe('Answer');
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 20, reasoningTokens: 15, cachedTokens: 8, totalTokens: 30 });
    expect(result.usageSeen).toBe(true);
    expect(result.terminalSeen).toBe(false); // no [DONE] yet
  });

  it('does not count an empty string or a role-only delta as content', () => {
    const { effects } = run('chat.completions', [
      json({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] }),
      json({ choices: [{ index: 0, delta: { content: '' } }] }),
      json({ choices: [{ index: 0, delta: { reasoning: '' } }] }),
      json({ choices: [{ index: 0, delta: { content: 'x' } }] }),
    ]);
    expect(effects.map((e) => e.contentDelta)).toEqual([false, false, false, true]);
  });

  it('does not take a running usage count before the finish reason as final usage', () => {
    // vLLM's continuous_usage_stats puts usage on every chunk.
    const a = createAssembler('chat.completions');
    const mid = a.onEvent(json({ choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
    expect(mid.usage).toBe(false);
    expect(a.snapshot().usageSeen).toBe(false);
    expect(a.snapshot().usage?.outputTokens).toBe(1);
    const last = a.onEvent(json({ choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
    expect(last.usage).toBe(true);
    expect(a.snapshot().usageSeen).toBe(true);
    expect(a.snapshot().usage?.outputTokens).toBe(2);
  });

  it('records an error chunk as a stream error named "error"', () => {
    const { effects, result } = run('chat.completions', [
      json({ choices: [{ index: 0, delta: { content: 'partial' } }] }),
      json({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }),
    ]);
    expect(effects[1]).toMatchObject({ name: 'error', error: true, terminal: false });
    expect(result.streamError).toEqual({ type: 'server_error', code: null, message: 'The server had an error while processing your request.', retryAfterS: null });
    expect(result.text).toBe('partial');
    expect(result.lastEventName).toBe('error');
  });

  it("records OpenRouter's mid-stream provider error with a numeric code and finish_reason error", () => {
    const { effects, result } = run('chat.completions', [
      json({ id: 'gen-1', object: 'chat.completion.chunk', error: { code: 502, message: 'Provider disconnected' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] }),
    ]);
    expect(effects[0]!.error).toBe(true);
    expect(result.streamError).toEqual({ type: null, code: '502', message: 'Provider disconnected', retryAfterS: null });
    expect(result.stopReason).toBe('error');
  });

  it('counts bad JSON without throwing and keeps going', () => {
    const { effects, result } = run('chat.completions', [
      { event: null, data: '{"choices":[{"delta":{"content":"a', id: null },
      { event: null, data: '', id: null },
      json({ choices: [{ index: 0, delta: { content: 'b' } }] }),
      { event: null, data: '[DONE]', id: null },
    ]);
    expect(effects.map((e) => e.badJson)).toEqual([true, true, false, false]);
    expect(effects[0]!.name).toBe('chunk');
    expect(result.badJson).toBe(2);
    expect(result.text).toBe('b');
    expect(result.terminalSeen).toBe(true);
  });

  it('records only the first choice when n > 1', () => {
    const { result } = run('chat.completions', [
      json({ choices: [{ index: 0, delta: { content: 'zero' } }] }),
      json({ choices: [{ index: 1, delta: { content: 'one' }, finish_reason: 'length' }] }),
      json({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    ]);
    expect(result.text).toBe('zero');
    expect(result.stopReason).toBe('stop');
  });

  it('keys tool-call deltas by id, then by the last call, when a server omits index', () => {
    const { result } = run('chat.completions', [
      json({ choices: [{ delta: { tool_calls: [{ id: 'call_a', function: { name: 'f', arguments: '{"x"' } }] } }] }),
      json({ choices: [{ delta: { tool_calls: [{ function: { arguments: ':1}' } }] } }] }),
      json({ choices: [{ delta: { tool_calls: [{ id: 'call_b', function: { name: 'g', arguments: '{}' } }] } }] }),
    ]);
    expect(result.toolCalls).toEqual([
      { id: 'call_a', name: 'f', arguments: '{"x":1}' },
      { id: 'call_b', name: 'g', arguments: '{}' },
    ]);
  });

  it('reads the legacy function_call delta as a tool call', () => {
    const { result } = run('chat.completions', [
      json({ choices: [{ index: 0, delta: { function_call: { name: 'lookup', arguments: '' } } }] }),
      json({ choices: [{ index: 0, delta: { function_call: { arguments: '{"q":1}' } }, finish_reason: 'function_call' }] }),
    ]);
    expect(result.toolCalls).toEqual([{ id: null, name: 'lookup', arguments: '{"q":1}' }]);
  });
});

describe('responses stream', () => {
  it('assembles a reasoning summary, text, a function call, usage and response.completed', () => {
    const events = transcript('openai-responses-reasoning-function-call.sse');
    const { effects, result } = run('responses', events);
    expect(result.reasoning).toBe(
      "**Inspecting the repo**\n\nI need to look at the files first — 先看看 `src/` 目录.\n\n**Running tests**\n\nI'll run the test suite to see what fails 🧪.",
    );
    expect(result.text).toBe('Let me look at the project layout first — 我先看一下目录结构。');
    expect(result.toolCalls).toEqual([
      { id: 'call_Qm3vT8pXr2LkN5wZ0bYc7HdJ', name: 'shell', arguments: '{"command":["bash","-lc","ls -la src"],"workdir":"/home/dev/app","timeout_ms":10000}' },
    ]);
    expect(result.usage).toEqual({ inputTokens: 3120, outputTokens: 412, reasoningTokens: 320, cachedTokens: 2048, totalTokens: 3532 });
    expect(result.stopReason).toBe('completed');
    expect(result.responseModel).toBe('gpt-5-codex');
    expect(result.terminalSeen).toBe(true);
    expect(result.usageSeen).toBe(true);
    expect(result.eventCount).toBe(events.length);
    expect(result.lastEventName).toBe('response.completed');

    expect(effects[0]!.name).toBe('response.created');
    // TTFT starts at the first reasoning summary delta, not at response.created or the empty part.
    const firstContent = effects.findIndex((e) => e.contentDelta);
    expect(events[firstContent]!.event).toBe('response.reasoning_summary_text.delta');
    expect(indexesWhere(effects, (e) => e.terminal)).toEqual([events.length - 1]);
    expect(indexesWhere(effects, (e) => e.usage)).toEqual([events.length - 1]);
    // *.done events repeat what the deltas carried: not content, not appended twice.
    for (const [i, e] of events.entries()) {
      if (e.event?.endsWith('.done')) expect(effects[i]!.contentDelta, e.event).toBe(false);
    }
  });

  it('takes the model from response.created before any output', () => {
    const a = createAssembler('responses');
    a.onEvent(transcript('openai-responses-reasoning-function-call.sse')[0]!);
    expect(a.snapshot().responseModel).toBe('gpt-5-codex');
    expect(a.snapshot().terminalSeen).toBe(false);
  });

  it('reports response.incomplete as terminal with its reason as the stop reason', () => {
    const { effects, result } = run('responses', transcript('openai-responses-incomplete.sse'));
    expect(result.text).toBe('Here is a long explanation of the bug: the cache key');
    expect(result.stopReason).toBe('max_output_tokens');
    expect(result.terminalSeen).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 58, outputTokens: 16, reasoningTokens: 0, cachedTokens: 0, totalTokens: 74 });
    expect(effects.at(-1)).toMatchObject({ name: 'response.incomplete', terminal: true, usage: true, error: false });
  });

  it('reports response.failed as terminal with the error from response.error', () => {
    const { effects, result } = run('responses', [
      json({ type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Half' }, 'response.output_text.delta'),
      json({ type: 'response.failed', response: { id: 'resp_1', status: 'failed', model: 'o3-2025-04-16', error: { code: 'server_error', message: 'An error occurred while processing your request.' }, usage: null } }, 'response.failed'),
    ]);
    expect(effects[1]).toMatchObject({ name: 'response.failed', terminal: true, error: true, usage: false });
    expect(result.streamError).toEqual({ type: null, code: 'server_error', message: 'An error occurred while processing your request.', retryAfterS: null });
    expect(result.stopReason).toBe('failed');
    expect(result.text).toBe('Half');
  });

  it('reads an error event with code and message at top level or under .error', () => {
    const top = run('responses', [json({ type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached', param: null, sequence_number: 3 }, 'error')]);
    expect(top.effects[0]).toMatchObject({ name: 'error', error: true, terminal: false });
    expect(top.result.streamError).toEqual({ type: null, code: 'rate_limit_exceeded', message: 'Rate limit reached', retryAfterS: null });
    const nested = run('responses', [json({ type: 'error', error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'Your input exceeds the context window of this model.', param: 'input' } })]);
    expect(nested.result.streamError).toEqual({
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      message: 'Your input exceeds the context window of this model.',
      retryAfterS: null,
    });
  });

  it("assembles Codex's custom tool call (apply_patch) from its input deltas", () => {
    const { effects, result } = run('responses', [
      json({ type: 'response.output_item.added', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_p', name: 'apply_patch', input: '' } }),
      json({ type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 0, delta: '*** Begin Patch\n' }),
      json({ type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 0, delta: '*** End Patch' }),
      json({ type: 'response.output_item.done', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' } }),
    ]);
    expect(result.toolCalls).toEqual([{ id: 'call_p', name: 'apply_patch', arguments: '*** Begin Patch\n*** End Patch' }]);
    expect(effects.map((e) => e.contentDelta)).toEqual([true, true, true, false]);
  });

  it('finds the call for argument deltas that carry only output_index', () => {
    const { result } = run('responses', [
      json({ type: 'response.output_item.added', output_index: 1, item: { id: 'fc_9', type: 'function_call', call_id: 'call_9', name: 'grep', arguments: '' } }),
      json({ type: 'response.function_call_arguments.delta', output_index: 1, delta: '{"q":' }),
      json({ type: 'response.function_call_arguments.delta', item_id: 'fc_9', output_index: 1, delta: '"x"}' }),
    ]);
    expect(result.toolCalls).toEqual([{ id: 'call_9', name: 'grep', arguments: '{"q":"x"}' }]);
  });
});

describe('messages stream', () => {
  it('assembles thinking, text, a tool_use block, final usage and message_stop', () => {
    const events = transcript('anthropic-messages-thinking-tool-use.sse');
    const { effects, result } = run('messages', events);
    expect(result.reasoning).toBe('The user wants me to find the failing test. Let me run `npm test` first — テストを実行します 🧪.');
    expect(result.text).toBe("I'll run the test suite to find the failing one. 🔍");
    expect(result.toolCalls).toEqual([
      { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', arguments: '{"command": "npm test -- --run", "description": "Run the test suite ✅"}' },
    ]);
    // inputTokens = input + cache writes + cache reads (12 + 1480 + 20512): the whole prompt
    expect(result.usage).toEqual({ inputTokens: 22004, outputTokens: 187, reasoningTokens: null, cachedTokens: 20512, totalTokens: 22191 });
    expect(result.stopReason).toBe('tool_use');
    expect(result.responseModel).toBe('claude-sonnet-4-5-20250929');
    expect(result.terminalSeen).toBe(true);
    expect(result.usageSeen).toBe(true);
    expect(result.lastEventName).toBe('message_stop');

    const names = effects.map((e) => e.name);
    expect(names[0]).toBe('message_start');
    expect(names[2]).toBe('ping');
    expect(effects[2]).toEqual({ name: 'ping', contentDelta: false, terminal: false, error: false, usage: false, badJson: false });
    expect(indexesWhere(effects, (e) => e.usage)).toEqual([names.indexOf('message_delta')]);
    expect(indexesWhere(effects, (e) => e.terminal)).toEqual([events.length - 1]);
    // signature_delta and the empty first input_json_delta are not content
    const sig = events.findIndex((e) => e.data.includes('signature_delta'));
    expect(effects[sig]!.contentDelta).toBe(false);
    const firstJson = events.findIndex((e) => e.data.includes('"partial_json":""'));
    expect(effects[firstJson]!.contentDelta).toBe(false);
    // the thinking block's start (empty) is not content; its first delta is
    expect(effects[1]!.contentDelta).toBe(false);
    expect(effects[3]!.contentDelta).toBe(true);
  });

  it('keeps message_start usage as provisional: usage known, usageSeen false', () => {
    const a = createAssembler('messages');
    const eff = a.onEvent(transcript('anthropic-messages-thinking-tool-use.sse')[0]!);
    expect(eff.usage).toBe(false);
    const s = a.snapshot();
    expect(s.usageSeen).toBe(false);
    expect(s.usage).toEqual({ inputTokens: 22004, outputTokens: 1, reasoningTokens: null, cachedTokens: 20512, totalTokens: 22005 });
  });

  it('keeps the input counts from message_start when message_delta reports output_tokens only', () => {
    const { result } = run('messages', [
      json({ type: 'message_start', message: { model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 } } }),
      json({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 4096 } }),
    ]);
    expect(result.usage).toEqual({ inputTokens: 150, outputTokens: 4096, reasoningTokens: null, cachedTokens: 50, totalTokens: 4246 });
    expect(result.stopReason).toBe('max_tokens');
    expect(result.usageSeen).toBe(true);
    expect(result.terminalSeen).toBe(false);
  });

  it('records an overloaded_error event mid-stream, keeping the partial text', () => {
    const events = transcript('anthropic-messages-overloaded-error.sse');
    const { effects, result } = run('messages', events);
    expect(effects.at(-1)).toMatchObject({ name: 'error', error: true, terminal: false });
    expect(result.streamError).toEqual({ type: 'overloaded_error', code: null, message: 'Overloaded', retryAfterS: null });
    expect(result.text).toBe('Sure — here is the refactored function:\n\n```ts\nexport function parse(');
    expect(result.terminalSeen).toBe(false);
    expect(result.usageSeen).toBe(false);
    expect(result.responseModel).toBe('claude-opus-4-1-20250805');
    expect(result.lastEventName).toBe('error');
  });

  it('separates thinking blocks and counts tool and redacted-thinking block starts as output', () => {
    const { effects, result } = run('messages', [
      json({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      json({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'First.' } }),
      json({ type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' } }),
      json({ type: 'content_block_start', index: 2, content_block: { type: 'thinking', thinking: '' } }),
      json({ type: 'content_block_delta', index: 2, delta: { type: 'thinking_delta', thinking: 'Second.' } }),
      json({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} } }),
    ]);
    expect(result.reasoning).toBe('First.\n\nSecond.');
    expect(effects.map((e) => e.contentDelta)).toEqual([false, true, true, false, true, true]);
    expect(result.toolCalls).toEqual([{ id: 'toolu_1', name: 'Read', arguments: '' }]);
  });
});

describe('embeddings and other APIs', () => {
  it('counts and names events without assembling anything', () => {
    const { effects, result } = run('other', [
      { event: 'progress', data: '{"type":"ignored-because-event-wins","text":"x"}', id: null },
      json({ type: 'status', choices: [{ delta: { content: 'not read' } }] }),
      { event: null, data: 'plain text payload', id: null },
      { event: null, data: '[DONE]', id: null },
    ]);
    expect(effects.map((e) => e.name)).toEqual(['progress', 'status', 'chunk', '[DONE]']);
    // An unknown API's payload may legitimately not be JSON.
    expect(effects.some((e) => e.badJson || e.contentDelta || e.usage || e.error)).toBe(false);
    expect(result).toMatchObject({ text: '', eventCount: 4, badJson: 0, terminalSeen: true, lastEventName: '[DONE]' });
  });

  it('counts events for embeddings', () => {
    const { result } = run('embeddings', [json({ object: 'list' }), json({ object: 'list' })]);
    expect(result.eventCount).toBe(2);
    expect(result.usage).toBeNull();
  });
});

describe('parseNonStreamBody', () => {
  it('reads a chat.completion with content, a tool call, finish reason and usage', () => {
    expect(parseNonStreamBody('chat.completions', body('openai-chat-nonstream.json'))).toEqual({
      text: 'Reading the file first. 📄',
      reasoning: '',
      toolCalls: [{ id: 'call_8tWq2ZfLk1Rn5Pv3Xy7Bm0Jd', name: 'read_file', arguments: '{"path":"src/main.ts"}' }],
      usage: { inputTokens: 812, outputTokens: 31, reasoningTokens: 0, cachedTokens: 768, totalTokens: 843 },
      stopReason: 'tool_calls',
      responseModel: 'gpt-4.1-2025-04-14',
      terminalSeen: true,
      usageSeen: true,
      streamError: null,
      badJson: 0,
      eventCount: 0,
      lastEventName: null,
      textTruncated: false,
    });
  });

  it('reads chat reasoning_content from a non-stream body', () => {
    const a = parseNonStreamBody(
      'chat.completions',
      JSON.stringify({ model: 'deepseek-reasoner', choices: [{ index: 0, message: { role: 'assistant', content: '42', reasoning_content: 'Compute.' }, finish_reason: 'stop' }] }),
    );
    expect(a).toMatchObject({ text: '42', reasoning: 'Compute.', stopReason: 'stop', terminalSeen: true, usage: null, usageSeen: false });
  });

  it('reads a Responses object: summary, output_text, function_call, status and usage', () => {
    const a = parseNonStreamBody('responses', body('openai-responses-nonstream.json'));
    // the same answer as the streamed transcript
    const streamed = run('responses', transcript('openai-responses-reasoning-function-call.sse')).result;
    expect(a).toEqual({ ...streamed, eventCount: 0, lastEventName: null });
  });

  it('reads an incomplete Responses object and a failed one', () => {
    const incomplete = parseNonStreamBody('responses', JSON.stringify({ object: 'response', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [], usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }));
    expect(incomplete).toMatchObject({ stopReason: 'max_output_tokens', terminalSeen: true, streamError: null });
    const failed = parseNonStreamBody('responses', JSON.stringify({ object: 'response', status: 'failed', error: { code: 'server_error', message: 'boom' }, output: [] }));
    expect(failed).toMatchObject({ stopReason: 'failed', terminalSeen: true, streamError: { type: null, code: 'server_error', message: 'boom', retryAfterS: null } });
  });

  it('reads a Messages object: thinking, text, tool_use input as JSON text, stop reason and usage', () => {
    expect(parseNonStreamBody('messages', body('anthropic-messages-nonstream.json'))).toMatchObject({
      text: 'I will open the config file. 📂',
      reasoning: 'The config file is YAML; 読み込みます.',
      toolCalls: [{ id: 'toolu_01A09q90qw90lq917835lq9', name: 'Read', arguments: '{"file_path":"/home/dev/app/config.yaml","limit":200}' }],
      usage: { inputTokens: 9 + 310 + 18022, outputTokens: 96, reasoningTokens: null, cachedTokens: 18022, totalTokens: 9 + 310 + 18022 + 96 },
      stopReason: 'tool_use',
      responseModel: 'claude-sonnet-4-5-20250929',
      terminalSeen: true,
      usageSeen: true,
      streamError: null,
    });
  });

  it('reads embeddings usage as input tokens', () => {
    expect(parseNonStreamBody('embeddings', body('openai-embeddings-nonstream.json'))).toMatchObject({
      usage: { inputTokens: 17, outputTokens: null, reasoningTokens: null, cachedTokens: null, totalTokens: 17 },
      responseModel: 'text-embedding-3-small',
      terminalSeen: true,
    });
  });

  it('turns JSON error bodies into streamError, not a completed answer', () => {
    expect(parseNonStreamBody('chat.completions', body('openai-error-context-length.json'))).toMatchObject({
      terminalSeen: false,
      streamError: { type: 'invalid_request_error', code: 'context_length_exceeded', retryAfterS: null },
    });
    expect(parseNonStreamBody('messages', body('anthropic-error-overloaded.json'))).toMatchObject({
      terminalSeen: false,
      streamError: { type: 'overloaded_error', code: null, message: 'Overloaded', retryAfterS: null },
    });
  });

  it('counts a body that is not JSON as bad JSON and not as complete', () => {
    expect(parseNonStreamBody('chat.completions', '<html>502</html>')).toMatchObject({ badJson: 1, terminalSeen: false, text: '' });
    expect(parseNonStreamBody('messages', '')).toMatchObject({ badJson: 1, terminalSeen: false });
  });

  it('treats any JSON answer of an unknown API as complete', () => {
    expect(parseNonStreamBody('other', '{"object":"list","data":[{"id":"gpt-4o"}]}')).toMatchObject({ terminalSeen: true, badJson: 0 });
  });
});

describe('caps', () => {
  it('stops appending text at maxChars, sets textTruncated, and never splits a surrogate pair', () => {
    const a = createAssembler('messages', { maxChars: 9 });
    a.onEvent(json({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'abcdefgh' } }));
    const eff = a.onEvent(json({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '😀tail' } }));
    // still a content delta: the provider did send content, Streamtap just kept less
    expect(eff.contentDelta).toBe(true);
    const s = a.snapshot();
    expect(s.text).toBe('abcdefgh');
    expect(s.textTruncated).toBe(true);
  });

  it('caps reasoning and each tool call arguments separately', () => {
    const a = createAssembler('chat.completions', { maxChars: 5 });
    a.onEvent(json({ choices: [{ index: 0, delta: { reasoning_content: '1234567' } }] }));
    a.onEvent(json({ choices: [{ index: 0, delta: { content: 'ok' } }] }));
    a.onEvent(json({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{"a":1234}' } }] } }] }));
    const s = a.snapshot();
    expect(s.reasoning).toBe('12345');
    expect(s.text).toBe('ok');
    expect(s.toolCalls[0]!.arguments).toBe('{"a":');
    expect(s.textTruncated).toBe(true);
  });

  it('keeps at most maxToolCalls tool calls', () => {
    const a = createAssembler('chat.completions', { maxToolCalls: 2 });
    for (let i = 0; i < 5; i++) a.onEvent(json({ choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: `c${i}`, function: { name: 'f', arguments: '{}' } }] } }] }));
    expect(a.snapshot().toolCalls.map((c) => c.id)).toEqual(['c0', 'c1']);
    expect(a.snapshot().textTruncated).toBe(true);
  });

  it('returns snapshots that later events do not change', () => {
    const a = createAssembler('chat.completions');
    a.onEvent(json({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{' } }] } }] }));
    const before = a.snapshot();
    a.onEvent(json({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '}' } }] } }] }));
    expect(before.toolCalls[0]!.arguments).toBe('{');
    expect(a.snapshot().toolCalls[0]!.arguments).toBe('{}');
  });
});

describe('robustness', () => {
  const APIS: ApiKind[] = ['chat.completions', 'responses', 'messages', 'embeddings', 'other'];

  // Provider-shaped payloads where every field is, at random, of the right type, of a
  // wrong type (any JSON), or missing: the shapes a changed or broken provider sends.
  const junk = fc.jsonValue({ maxDepth: 1 });
  function maybe<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
    return fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk }, { weight: 1, arbitrary: fc.constant(undefined) });
  }
  const list = <T,>(arb: fc.Arbitrary<T>) => maybe(fc.array(maybe(arb), { maxLength: 3 }));
  const text = fc.string({ maxLength: 6 });
  const small = fc.nat({ max: 3 });
  const count = fc.nat({ max: 100_000 });
  const errorObj = fc.record({ type: maybe(text), code: maybe(fc.oneof(text, count)), message: maybe(text), status: maybe(text) });

  const chatUsage = fc.record({
    prompt_tokens: maybe(count),
    completion_tokens: maybe(count),
    total_tokens: maybe(count),
    prompt_tokens_details: maybe(fc.record({ cached_tokens: maybe(count) })),
    completion_tokens_details: maybe(fc.record({ reasoning_tokens: maybe(count) })),
  });
  const chatMessage = fc.record({
    role: maybe(text),
    content: maybe(fc.oneof(text, fc.array(maybe(fc.record({ type: maybe(text), text: maybe(text) })), { maxLength: 2 }))),
    reasoning_content: maybe(text),
    reasoning: maybe(text),
    refusal: maybe(text),
    tool_calls: list(fc.record({ index: maybe(small), id: maybe(text), function: maybe(fc.record({ name: maybe(text), arguments: maybe(text) })) })),
    function_call: maybe(fc.record({ name: maybe(text), arguments: maybe(text) })),
  });
  const chatChoice = fc.record({ index: maybe(small), delta: maybe(chatMessage), message: maybe(chatMessage), finish_reason: maybe(text) });
  const chatChunk = fc.record({ model: maybe(text), error: maybe(errorObj), choices: list(chatChoice), usage: maybe(chatUsage), x_groq: maybe(fc.record({ usage: maybe(chatUsage) })) });

  const responsesUsage = fc.record({
    input_tokens: maybe(count),
    output_tokens: maybe(count),
    total_tokens: maybe(count),
    input_tokens_details: maybe(fc.record({ cached_tokens: maybe(count) })),
    output_tokens_details: maybe(fc.record({ reasoning_tokens: maybe(count) })),
  });
  const part = fc.record({ type: maybe(fc.constantFrom('output_text', 'refusal', 'summary_text', 'reasoning_text')), text: maybe(text), refusal: maybe(text) });
  const item = fc.record({
    type: maybe(fc.constantFrom('function_call', 'custom_tool_call', 'local_shell_call', 'reasoning', 'message')),
    id: maybe(fc.constantFrom('fc_1', 'fc_2', 'ctc_1')),
    call_id: maybe(text),
    name: maybe(text),
    arguments: maybe(text),
    input: maybe(text),
    action: maybe(junk),
    content: list(part),
    summary: list(part),
  });
  const responseObj = fc.record({
    model: maybe(text),
    status: maybe(fc.constantFrom('completed', 'incomplete', 'failed', 'in_progress')),
    usage: maybe(responsesUsage),
    incomplete_details: maybe(fc.record({ reason: maybe(text) })),
    error: maybe(errorObj),
    output: list(item),
  });
  const responsesEvent = fc.record({
    type: fc.constantFrom(
      'response.created', 'response.in_progress', 'response.output_text.delta', 'response.refusal.delta',
      'response.reasoning_summary_text.delta', 'response.reasoning_text.delta', 'response.reasoning_summary_part.added',
      'response.output_item.added', 'response.output_item.done', 'response.function_call_arguments.delta',
      'response.custom_tool_call_input.delta', 'response.completed', 'response.incomplete', 'response.failed', 'error',
    ),
    delta: maybe(text),
    item: maybe(item),
    item_id: maybe(fc.constantFrom('fc_1', 'fc_2', 'ctc_1')),
    output_index: maybe(small),
    response: maybe(responseObj),
    code: maybe(text),
    message: maybe(text),
    error: maybe(errorObj),
  });

  const anthropicUsage = fc.record({
    input_tokens: maybe(count),
    output_tokens: maybe(count),
    cache_creation_input_tokens: maybe(count),
    cache_read_input_tokens: maybe(count),
  });
  const block = fc.record({
    type: maybe(fc.constantFrom('text', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use')),
    text: maybe(text),
    thinking: maybe(text),
    id: maybe(text),
    name: maybe(text),
    input: maybe(junk),
  });
  const anthropicEvent = fc.record({
    type: fc.constantFrom('message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error'),
    index: maybe(small),
    content_block: maybe(block),
    delta: maybe(
      fc.record({
        type: maybe(fc.constantFrom('text_delta', 'thinking_delta', 'input_json_delta', 'signature_delta')),
        text: maybe(text),
        thinking: maybe(text),
        partial_json: maybe(text),
        stop_reason: maybe(text),
      }),
    ),
    message: maybe(fc.record({ model: maybe(text), usage: maybe(anthropicUsage) })),
    usage: maybe(anthropicUsage),
    error: maybe(errorObj),
  });

  const payload = fc.oneof(chatChunk, responsesEvent, anthropicEvent, junk);
  const event: fc.Arbitrary<SseEvent> = fc.record({
    event: fc.option(fc.constantFrom('message_start', 'error', 'response.completed', 'ping'), { nil: null }),
    data: fc.oneof({ weight: 6, arbitrary: payload.map((p) => JSON.stringify(p) ?? 'null') }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.constant('[DONE]') }),
    id: fc.constant(null),
  });

  it('never throws and always returns well-formed effects and snapshots, for any API and any payload', () => {
    fc.assert(
      fc.property(fc.constantFrom(...APIS), fc.array(event, { maxLength: 25 }), (api, events) => {
        const a = createAssembler(api);
        for (const e of events) {
          const eff = a.onEvent(e);
          expect(typeof eff.name).toBe('string');
          expect(eff.name.length).toBeGreaterThan(0);
        }
        // The last-resort catch must never have been needed: handlers guard every access.
        expect(a).toBeInstanceOf(JsonStreamAssembler);
        expect((a as JsonStreamAssembler).internalErrors).toBe(0);
        const s = a.snapshot();
        expect(typeof s.text).toBe('string');
        expect(typeof s.reasoning).toBe('string');
        expect(s.eventCount).toBe(events.length);
        for (const c of s.toolCalls) expect(typeof c.arguments).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('parses any provider-shaped object as a non-stream body without throwing (no safety net involved)', () => {
    const bodyShape = fc.record({
      type: maybe(fc.constantFrom('message', 'error')),
      model: maybe(text),
      status: maybe(fc.constantFrom('completed', 'incomplete', 'failed')),
      choices: list(chatChoice),
      output: list(item),
      content: list(block),
      stop_reason: maybe(text),
      incomplete_details: maybe(fc.record({ reason: maybe(text) })),
      error: maybe(errorObj),
      usage: maybe(fc.oneof(chatUsage, responsesUsage, anthropicUsage)),
    });
    fc.assert(
      fc.property(bodyShape, fc.constantFrom(...APIS), (body, api) => {
        for (const parse of [parseChatBody, parseResponsesBody, parseMessagesBody]) {
          const b = new AnswerBuilder();
          expect(() => parse(body as JsonObject, b)).not.toThrow();
          expect(typeof b.snapshot().text).toBe('string');
        }
        expect(typeof parseNonStreamBody(api, JSON.stringify(body)).text).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('does not throw on events that are not even SseEvent-shaped', () => {
    const a = createAssembler('messages');
    expect(() => a.onEvent(null as unknown as SseEvent)).not.toThrow();
    expect(() => a.onEvent({ event: 5, data: { type: 'x' } } as unknown as SseEvent)).not.toThrow();
    expect(a.snapshot().eventCount).toBe(2);
  });
});

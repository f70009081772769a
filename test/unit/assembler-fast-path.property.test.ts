// The assemblers' text-delta fast paths (adapters/*): an event one recognises without
// JSON.parse must give exactly what parsing it gives, and anything it does not
// recognise exactly must be parsed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnthropicMessagesAssembler, MESSAGES_TEXT_DELTA } from '../../src-main/core/recorder/adapters/anthropic-messages.js';
import { OpenAiChatAssembler, chatTextDelta } from '../../src-main/core/recorder/adapters/openai-chat.js';
import { OpenAiResponsesAssembler, RESPONSES_TEXT_DELTA } from '../../src-main/core/recorder/adapters/openai-responses.js';
import type { StreamAssembler } from '../../src-main/core/recorder/types.js';
import { ParsingChatAssembler, ParsingMessagesAssembler, ParsingResponsesAssembler } from '../fixtures/parsing-assemblers.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\n', '\u0000', '\ud83d\ude00'));

/** A chunk as OpenAI writes it, optionally bent into a shape the fast path must refuse. */
const chunk = fc
  .record({
    model: text,
    content: text,
    id: fc.oneof(fc.constant('chatcmpl-1'), text),
    created: fc.oneof(fc.nat(), fc.double()),
    tier: fc.option(fc.constantFrom('default', 'x"y')),
    fingerprint: fc.option(fc.constant('fp_1')),
    usage: fc.boolean(),
    obfuscation: fc.option(text),
    index: fc.constantFrom(0, 0, 0, 1),
    finish: fc.constantFrom<string | null>(null, null, null, 'stop', ''),
    extraDelta: fc.option(fc.constantFrom({ refusal: 'no' }, { reasoning: 'hm' }, { tool_calls: [{ index: 0, function: { name: 'f' } }] })),
    bend: fc.constantFrom('none', 'none', 'none', 'space', 'error', 'groq', 'reorder', 'duplicate'),
  })
  .map((c) => {
    const o: Record<string, unknown> = { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model };
    if (c.tier !== null) o['service_tier'] = c.tier;
    if (c.fingerprint !== null) o['system_fingerprint'] = c.fingerprint;
    o['choices'] = [{ index: c.index, delta: { content: c.content, ...(c.extraDelta ?? {}) }, logprobs: null, finish_reason: c.finish }];
    if (c.usage) o['usage'] = null;
    if (c.obfuscation !== null) o['obfuscation'] = c.obfuscation;
    if (c.bend === 'error') o['error'] = { message: 'boom' };
    if (c.bend === 'groq') o['x_groq'] = { usage: { prompt_tokens: 1, completion_tokens: 2 } };
    let data = JSON.stringify(c.bend === 'reorder' ? Object.fromEntries(Object.entries(o).reverse()) : o);
    if (c.bend === 'space') data = ` ${data}`;
    // A repeated key: JSON.parse keeps the last one.
    if (c.bend === 'duplicate') data = data.replace('"model":', '"model":"other","model":');
    return data;
  });

/** An Anthropic delta, optionally bent. */
const messagesEvent = fc
  .record({
    kind: fc.constantFrom(['text_delta', 'text'], ['thinking_delta', 'thinking'], ['text_delta', 'thinking'], ['input_json_delta', 'partial_json'], ['signature_delta', 'signature']),
    index: fc.oneof(fc.nat(3), fc.constant(-1), fc.double()),
    piece: text,
    bend: fc.constantFrom('none', 'none', 'space', 'type', 'extra', 'duplicate'),
  })
  .map((e) => {
    const o: Record<string, unknown> = { type: e.bend === 'type' ? 'message_delta' : 'content_block_delta', index: e.index, delta: { type: e.kind[0], [e.kind[1]!]: e.piece } };
    if (e.bend === 'extra') o['usage'] = { output_tokens: 3 };
    let data = JSON.stringify(o);
    if (e.bend === 'space') data = data.replace(':', ': ');
    if (e.bend === 'duplicate') data = data.replace('"index":', '"type":"error","index":');
    return data;
  });

/** A Responses delta, optionally bent. */
const responsesEvent = fc
  .record({
    type: fc.constantFrom('response.output_text.delta', 'response.reasoning_summary_text.delta', 'response.function_call_arguments.delta', 'response.refusal.delta'),
    seq: fc.option(fc.nat()),
    itemId: fc.option(fc.oneof(fc.constant('msg_1'), text)),
    outputIndex: fc.option(fc.oneof(fc.nat(3), fc.double())),
    partIndex: fc.option(fc.constantFrom('content_index', 'summary_index')),
    delta: fc.oneof(text, fc.constant(7)),
    logprobs: fc.constantFrom<unknown>(undefined, [], [{ token: 'a' }]),
    obfuscation: fc.option(text),
    bend: fc.constantFrom('none', 'none', 'reorder', 'duplicate'),
  })
  .map((e) => {
    const o: Record<string, unknown> = { type: e.type };
    if (e.seq !== null) o['sequence_number'] = e.seq;
    if (e.itemId !== null) o['item_id'] = e.itemId;
    if (e.outputIndex !== null) o['output_index'] = e.outputIndex;
    if (e.partIndex !== null) o[e.partIndex] = 0;
    o['delta'] = e.delta;
    if (e.logprobs !== undefined) o['logprobs'] = e.logprobs;
    if (e.obfuscation !== null) o['obfuscation'] = e.obfuscation;
    let data = JSON.stringify(e.bend === 'reorder' ? Object.fromEntries(Object.entries(o).reverse()) : o);
    if (e.bend === 'duplicate') data = data.replace('"delta":', '"type":"error","delta":');
    return data;
  });

const eventName = fc.constantFrom<string | null>(null, null, 'content_block_delta', 'response.output_text.delta', 'x');

/** Fed the same events, the assembler and its parsing twin give the same effects and answer. */
function sameAsParsing(fast: StreamAssembler & { internalErrors: number }, parsing: StreamAssembler, events: { event: string | null; data: string }[]): void {
  for (const e of events) {
    const ev = { event: e.event, data: e.data, id: null };
    expect(fast.onEvent(ev)).toEqual(parsing.onEvent(ev));
  }
  expect(fast.snapshot()).toEqual(parsing.snapshot());
  expect(fast.internalErrors).toBe(0);
}

describe('messages and responses text-delta fast paths', () => {
  it('match the plain deltas of a stream, escapes and all', () => {
    fc.assert(
      fc.property(text, fc.boolean(), (piece, thinking) => {
        const m = MESSAGES_TEXT_DELTA.exec(JSON.stringify({ type: 'content_block_delta', index: 1, delta: thinking ? { type: 'thinking_delta', thinking: piece } : { type: 'text_delta', text: piece } }));
        expect(m && [m[1], JSON.parse(`"${m[2]!}"`) as string]).toEqual([thinking ? 'thinking' : undefined, piece]);
        const r = RESPONSES_TEXT_DELTA.exec(
          JSON.stringify({ type: 'response.output_text.delta', sequence_number: 5, item_id: 'msg_1', output_index: 1, content_index: 0, delta: piece, logprobs: [], obfuscation: 'x' }),
        );
        expect(r && [r[1], JSON.parse(`"${r[2]!}"`) as string]).toEqual(['output_text', piece]);
      }),
    );
  });

  it('assemble any sequence of events exactly as parsing each one does', () => {
    const events = (gen: fc.Arbitrary<string>) => fc.array(fc.record({ event: eventName, data: fc.oneof(gen, gen, fc.string()) }), { maxLength: 12 });
    fc.assert(
      fc.property(events(messagesEvent), (evs) => sameAsParsing(new AnthropicMessagesAssembler({ maxChars: 64 }), new ParsingMessagesAssembler({ maxChars: 64 }), evs)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(events(responsesEvent), (evs) => sameAsParsing(new OpenAiResponsesAssembler({ maxChars: 64 }), new ParsingResponsesAssembler({ maxChars: 64 }), evs)),
      { numRuns: 400 },
    );
  });
});

describe('chat text-delta fast path', () => {
  it('matches the plain text deltas of a stream, escapes and all', () => {
    fc.assert(
      // Envelope strings never carry an escape (a model name with one is parsed instead).
      fc.property(text.filter((m) => ![...m].some((ch) => ch === '"' || ch === '\\' || ch < ' ')), text, (model, content) => {
        const data = JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion.chunk',
          created: 1752141013,
          model,
          service_tier: 'default',
          system_fingerprint: 'fp_1',
          choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
          usage: null,
          obfuscation: 'abc',
        });
        expect(chatTextDelta(data)).toEqual({ model, text: content });
      }),
    );
  });

  it('assembles any sequence of chunks exactly as parsing each one does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(chunk, fc.string()), { maxLength: 12 }), (datas) => {
        sameAsParsing(new OpenAiChatAssembler({ maxChars: 64 }), new ParsingChatAssembler({ maxChars: 64 }), datas.map((data) => ({ event: null, data })));
      }),
      { numRuns: 500 },
    );
  });
});

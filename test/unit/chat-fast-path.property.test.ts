// The chat assembler's text-delta fast path (adapters/openai-chat.ts): a chunk it
// recognises without JSON.parse must give exactly what parsing it gives, and anything
// it does not recognise exactly must be parsed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenAiChatAssembler, chatTextDelta } from '../../src-main/core/recorder/adapters/openai-chat.js';

class ParsingChatAssembler extends OpenAiChatAssembler {
  protected override fastEvent(): boolean {
    return false;
  }
}

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
        const fast = new OpenAiChatAssembler({ maxChars: 64 });
        const parsing = new ParsingChatAssembler({ maxChars: 64 });
        for (const data of datas) {
          const ev = { event: null, data, id: null };
          expect(fast.onEvent(ev)).toEqual(parsing.onEvent(ev));
        }
        expect(fast.snapshot()).toEqual(parsing.snapshot());
        expect(fast.internalErrors).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

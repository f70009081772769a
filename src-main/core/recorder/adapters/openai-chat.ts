// OpenAI Chat Completions (and the many OpenAI-compatible servers: OpenRouter,
// DeepSeek, vLLM, Groq, Ollama, LM Studio). Stream: `data: {chat.completion.chunk}`
// lines ending with `data: [DONE]`; whole body: one `chat.completion` object.

import type { AssembledUsage, EventEffect } from '../types.js';
import { providerErrorFromJson } from '../provider-error.js';
import {
  type AnswerBuilder,
  JSON_CHARS,
  JSON_INT,
  JsonStreamAssembler,
  PLAIN_CHARS,
  arr,
  jsonChars,
  nonEmpty,
  num,
  obj,
  type JsonObject,
  type ParsedEvent,
} from './shared.js';

/** prompt_tokens already includes the cached prefix and completion_tokens the reasoning. */
export function chatUsage(u: JsonObject): AssembledUsage {
  const completionDetails = obj(u['completion_tokens_details']);
  const promptDetails = obj(u['prompt_tokens_details']);
  return {
    inputTokens: num(u['prompt_tokens']),
    outputTokens: num(u['completion_tokens']),
    reasoningTokens: completionDetails ? num(completionDetails['reasoning_tokens']) : null,
    // DeepSeek reports its cache hits at top level instead.
    cachedTokens: (promptDetails ? num(promptDetails['cached_tokens']) : null) ?? num(u['prompt_cache_hit_tokens']),
    totalTokens: num(u['total_tokens']) ?? sumOrNull(num(u['prompt_tokens']), num(u['completion_tokens'])),
  };
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a !== null && b !== null ? a + b : null;
}

/** Only the first choice is recorded: agents ask for n=1, and with n>1 every chunk
 * carries its own choice index. A missing index is taken as 0. */
function isFirstChoice(choice: JsonObject): boolean {
  const index = num(choice['index']);
  return index === null || index === 0;
}

/** Reasoning text: DeepSeek and vLLM call it `reasoning_content`, OpenRouter
 * `reasoning`. Some servers send both with the same text, so one is taken, not both. */
function reasoningOf(m: JsonObject): string | null {
  return nonEmpty(m['reasoning_content']) ?? nonEmpty(m['reasoning']);
}

/** Message content is a string for OpenAI; some compatible servers send text parts. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  const parts = arr(content);
  if (!parts) return null;
  let text = '';
  for (const p of parts) {
    const part = obj(p);
    const t = part ? nonEmpty(part['text']) : null;
    if (t) text += t;
  }
  return text;
}

const PLAIN = PLAIN_CHARS;
/**
 * A text delta exactly as OpenAI sends most of a stream's chunks: one first choice
 * whose delta is only `content`, no finish reason, no usage, no error. Anchored, with
 * every key and its order fixed and the envelope's strings free of escapes, so a match
 * is valid JSON whose parse handle() would read as "model, and this text" and nothing
 * else; any other chunk (the role chunk, tool calls, the finish, usage, other servers'
 * envelopes, whitespace) does not match and is parsed.
 */
export const CHAT_TEXT_DELTA = new RegExp(
  String.raw`^\{"id":"${PLAIN}","object":"chat\.completion\.chunk","created":${JSON_INT},"model":"(${PLAIN})"` +
    String.raw`(?:,"service_tier":"${PLAIN}")?(?:,"system_fingerprint":"${PLAIN}")?` +
    String.raw`,"choices":\[\{"index":0,"delta":\{"content":"(${JSON_CHARS})"\},"logprobs":null,"finish_reason":null\}\]` +
    String.raw`(?:,"usage":null)?(?:,"obfuscation":"${PLAIN}")?\}$`,
);

/** The model and text of a chunk CHAT_TEXT_DELTA matches; null for any other. */
export function chatTextDelta(data: string): { model: string; text: string } | null {
  const m = CHAT_TEXT_DELTA.exec(data);
  if (!m) return null;
  return { model: m[1]!, text: jsonChars(m[2]!) };
}

export class OpenAiChatAssembler extends JsonStreamAssembler {
  /** tool-call key of the last delta, for servers that omit `index` on continuations */
  private lastToolKey: string | null = null;
  private anonymousTools = 0;

  protected override onDone(effect: EventEffect): void {
    effect.terminal = true;
    this.answer.terminalSeen = true;
  }

  /** Most chunks are text deltas: ~0.4 µs to match instead of ~2.7 µs to parse. */
  protected override fastEvent(data: string, _eventField: string | null, effect: EventEffect): boolean {
    const delta = chatTextDelta(data);
    if (!delta) return false;
    const b = this.answer;
    if (delta.model.length > 0) b.responseModel = delta.model;
    if (b.appendText(delta.text)) effect.contentDelta = true;
    return true;
  }

  protected handle({ json, eventField, effect }: ParsedEvent): void {
    if (!json) return;
    const b = this.answer;
    const model = nonEmpty(json['model']);
    if (model) b.responseModel = model;

    // Mid-stream errors: OpenAI and OpenRouter send {error:{message, type|code}}.
    if (json['error'] !== undefined && json['error'] !== null) {
      const err = providerErrorFromJson(json);
      if (err) {
        b.streamError = err;
        effect.error = true;
        // Such chunks have no `type`; "error" says more than "chunk" in a timeline.
        if (!eventField && effect.name === 'chunk') effect.name = 'error';
      }
    }

    const choices = arr(json['choices']);
    if (choices) {
      for (const c of choices) {
        const choice = obj(c);
        if (!choice || !isFirstChoice(choice)) continue;
        const delta = obj(choice['delta']);
        if (delta) this.applyDelta(delta, effect);
        const finish = nonEmpty(choice['finish_reason']);
        if (finish) b.stopReason = finish;
      }
    }

    // Groq reports usage under x_groq.
    const usage = obj(json['usage']) ?? obj(obj(json['x_groq'])?.['usage']);
    if (usage) {
      // Final usage: OpenAI's include_usage chunk has no choices; OpenRouter's arrives
      // after the finish_reason chunk; DeepSeek's rides on it. Servers that stream a
      // running count on every chunk (vLLM continuous_usage_stats) are not final
      // before the finish reason, so an abort mid-answer is not mistaken for an end.
      const final = !choices || choices.length === 0 || b.stopReason !== null;
      b.setUsage(chatUsage(usage), final);
      if (final) effect.usage = true;
    }
  }

  private applyDelta(delta: JsonObject, effect: EventEffect): void {
    const b = this.answer;
    // A role-only first chunk ({role:'assistant', content:''}) carries nothing: the
    // builder ignores empty strings, so it does not fix TTFT.
    if (b.appendText(contentText(delta['content']))) effect.contentDelta = true;
    if (b.appendText(delta['refusal'])) effect.contentDelta = true;
    if (b.appendReasoning(reasoningOf(delta))) effect.contentDelta = true;

    const toolCalls = arr(delta['tool_calls']);
    if (toolCalls) {
      for (const t of toolCalls) {
        const tc = obj(t);
        if (tc) this.applyToolDelta(tc, effect);
      }
    }
    // The legacy `functions` API streams a single function_call.
    const fn = obj(delta['function_call']);
    if (fn) {
      const call = b.tool('function_call');
      const name = nonEmpty(fn['name']);
      if (call && name) call.name = name;
      if (name) effect.contentDelta = true;
      if (b.appendArguments(call, fn['arguments'])) effect.contentDelta = true;
    }
  }

  private applyToolDelta(tc: JsonObject, effect: EventEffect): void {
    const b = this.answer;
    const id = nonEmpty(tc['id']);
    const index = num(tc['index']);
    let key: string;
    if (index !== null) key = `i${index}`;
    else if (id !== null) key = `id:${id}`;
    else key = this.lastToolKey ?? `anon${this.anonymousTools++}`;
    this.lastToolKey = key;
    const call = b.tool(key);
    const fn = obj(tc['function']);
    const name = fn ? nonEmpty(fn['name']) : null;
    if (call) {
      if (id && call.id === null) call.id = id;
      if (name && call.name === null) call.name = name;
    }
    // The name is the first thing the model generates for a tool call: it counts as
    // output for TTFT just like text.
    if (name) effect.contentDelta = true;
    if (fn && b.appendArguments(call, fn['arguments'])) effect.contentDelta = true;
  }
}

/** A whole `chat.completion` body. */
export function parseChatBody(json: JsonObject, b: AnswerBuilder): void {
  const model = nonEmpty(json['model']);
  if (model) b.responseModel = model;
  const choices = arr(json['choices']);
  if (choices) {
    b.terminalSeen = true;
    const first = choices.map(obj).find((c): c is JsonObject => c !== null && isFirstChoice(c));
    const message = first ? obj(first['message']) : null;
    if (message) {
      b.appendReasoning(reasoningOf(message));
      b.appendText(contentText(message['content']));
      b.appendText(message['refusal']);
      const toolCalls = arr(message['tool_calls']) ?? [];
      toolCalls.forEach((t, i) => {
        const tc = obj(t);
        if (!tc) return;
        const call = b.tool(`i${i}`);
        if (!call) return;
        const fn = obj(tc['function']);
        call.id = nonEmpty(tc['id']);
        call.name = fn ? nonEmpty(fn['name']) : null;
        if (fn) b.appendArguments(call, fn['arguments']);
      });
      const legacy = obj(message['function_call']);
      if (legacy) {
        const call = b.tool('function_call');
        if (call) {
          call.name = nonEmpty(legacy['name']);
          b.appendArguments(call, legacy['arguments']);
        }
      }
    }
    if (first) b.stopReason = nonEmpty(first['finish_reason']);
  }
  const usage = obj(json['usage']);
  if (usage) b.setUsage(chatUsage(usage), true);
}

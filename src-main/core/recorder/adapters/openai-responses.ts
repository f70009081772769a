// OpenAI Responses API (Codex CLI, the OpenAI Agents SDK). Stream: typed events
// (`event: response.output_text.delta` + `data: {"type":"response.output_text.delta",…}`)
// ending with response.completed, response.incomplete or response.failed; whole body:
// one `response` object whose `output[]` holds reasoning, message and tool-call items.

import type { ToolCall } from '../../../common/record.js';
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

/** input_tokens already includes the cached prefix and output_tokens the reasoning. */
export function responsesUsage(u: JsonObject): AssembledUsage {
  const inputDetails = obj(u['input_tokens_details']);
  const outputDetails = obj(u['output_tokens_details']);
  const input = num(u['input_tokens']);
  const output = num(u['output_tokens']);
  return {
    inputTokens: input,
    outputTokens: output,
    reasoningTokens: outputDetails ? num(outputDetails['reasoning_tokens']) : null,
    cachedTokens: inputDetails ? num(inputDetails['cached_tokens']) : null,
    totalTokens: num(u['total_tokens']) ?? (input !== null && output !== null ? input + output : null),
  };
}

/** Item types whose output is a call the client must execute. `custom_tool_call` is
 * the free-form kind Codex uses for apply_patch; its `input` plays the arguments. */
const CALL_ITEM_TYPES = new Set(['function_call', 'custom_tool_call']);

/** The stop reason of a finished response: "completed", the incomplete reason
 * (max_output_tokens, content_filter) or the status itself. */
function stopReasonOf(response: JsonObject, fallback: string): string {
  const status = nonEmpty(response['status']);
  if (status === 'incomplete' || fallback === 'incomplete') {
    const details = obj(response['incomplete_details']);
    return (details ? nonEmpty(details['reason']) : null) ?? 'incomplete';
  }
  return status ?? fallback;
}

/** Fills a tool call from a whole output item (output_item.added/.done, or a body). */
function fillCall(b: AnswerBuilder, call: ToolCall | null, item: JsonObject): void {
  if (!call) return;
  const type = nonEmpty(item['type']);
  if (call.id === null) call.id = nonEmpty(item['call_id']) ?? nonEmpty(item['id']);
  if (call.name === null) call.name = type === 'local_shell_call' ? 'local_shell' : nonEmpty(item['name']);
  if (call.arguments.length === 0) {
    if (type === 'local_shell_call') {
      const action = item['action'];
      if (action !== undefined) b.appendArguments(call, safeStringify(action));
    } else {
      b.appendArguments(call, type === 'custom_tool_call' ? item['input'] : item['arguments']);
    }
  }
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** An output-text or reasoning-summary delta exactly as OpenAI sends most of a stream's
 * events: keys fixed in order (the ones handle() ignores optional), anchored, so a
 * match is valid JSON that handle() would read as "this text (or reasoning)" and
 * nothing else; anything else is parsed. */
export const RESPONSES_TEXT_DELTA = new RegExp(
  String.raw`^\{"type":"response\.(output_text|reasoning_summary_text)\.delta"(?:,"sequence_number":${JSON_INT})?(?:,"item_id":"${PLAIN_CHARS}")?` +
    String.raw`(?:,"output_index":${JSON_INT})?(?:,"(?:content|summary)_index":${JSON_INT})?,"delta":"(${JSON_CHARS})"(?:,"logprobs":\[\])?(?:,"obfuscation":"${PLAIN_CHARS}")?\}$`,
);

export class OpenAiResponsesAssembler extends JsonStreamAssembler {
  /** output_index → tool key, for delta events that omit item_id */
  private readonly keyByOutputIndex = new Map<number, string>();

  /** Text and reasoning-summary deltas: matched, not parsed. */
  protected override fastEvent(data: string, eventField: string | null, effect: EventEffect): boolean {
    const m = RESPONSES_TEXT_DELTA.exec(data);
    if (!m) return false;
    const text = m[1] === 'output_text';
    if (!eventField) effect.name = text ? 'response.output_text.delta' : 'response.reasoning_summary_text.delta';
    const piece = jsonChars(m[2]!);
    if (text ? this.answer.appendText(piece) : this.answer.appendReasoning(piece)) effect.contentDelta = true;
    return true;
  }

  protected handle({ json, type, effect }: ParsedEvent): void {
    if (!json || !type) return;
    const b = this.answer;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued': {
        const model = nonEmpty(obj(json['response'])?.['model']);
        if (model) b.responseModel = model;
        return;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (b.appendText(json['delta'])) effect.contentDelta = true;
        return;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (b.appendReasoning(json['delta'])) effect.contentDelta = true;
        return;
      case 'response.reasoning_summary_part.added':
      case 'response.reasoning_text.done':
        // Each summary part is its own paragraph ("**Title**\n\nBody").
        b.markReasoningBoundary();
        return;
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.onItem(json, type === 'response.output_item.added', effect);
        return;
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta':
        if (b.appendArguments(this.callFor(json), json['delta'])) effect.contentDelta = true;
        return;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        this.onFinished(json, type, effect);
        return;
      case 'error': {
        b.streamError = providerErrorFromJson(json) ?? { type: null, code: null, message: null, retryAfterS: null };
        effect.error = true;
        return;
      }
      default:
        return;
    }
  }

  private onItem(json: JsonObject, added: boolean, effect: EventEffect): void {
    const item = obj(json['item']);
    if (!item) return;
    const type = nonEmpty(item['type']);
    if (type === 'reasoning') {
      this.answer.markReasoningBoundary();
      return;
    }
    if (type === null || !(CALL_ITEM_TYPES.has(type) || type === 'local_shell_call')) return;
    const outputIndex = num(json['output_index']);
    const key = nonEmpty(item['id']) ?? (outputIndex !== null ? `out${outputIndex}` : null);
    if (key === null) return;
    if (outputIndex !== null) this.keyByOutputIndex.set(outputIndex, key);
    const known = this.answer.hasTool(key);
    const call = this.answer.tool(key);
    fillCall(this.answer, call, item);
    // The call's name is the first output of a tool call: it fixes TTFT. An .done
    // item for a call already announced carries nothing new.
    if ((added || !known) && call?.name) effect.contentDelta = true;
  }

  private callFor(json: JsonObject): ToolCall | null {
    const itemId = nonEmpty(json['item_id']);
    const outputIndex = num(json['output_index']);
    let key = itemId !== null && this.answer.hasTool(itemId) ? itemId : null;
    if (key === null && outputIndex !== null) key = this.keyByOutputIndex.get(outputIndex) ?? null;
    key ??= itemId ?? (outputIndex !== null ? `out${outputIndex}` : 'out?');
    if (outputIndex !== null && !this.keyByOutputIndex.has(outputIndex)) this.keyByOutputIndex.set(outputIndex, key);
    return this.answer.tool(key);
  }

  private onFinished(json: JsonObject, type: string, effect: EventEffect): void {
    const b = this.answer;
    effect.terminal = true;
    b.terminalSeen = true;
    const response = obj(json['response']) ?? {};
    const model = nonEmpty(response['model']);
    if (model) b.responseModel = model;
    const fallback = type === 'response.completed' ? 'completed' : type === 'response.incomplete' ? 'incomplete' : 'failed';
    b.stopReason = stopReasonOf(response, fallback);
    const usage = obj(response['usage']);
    if (usage) {
      b.setUsage(responsesUsage(usage), true);
      effect.usage = true;
    }
    if (type === 'response.failed') {
      effect.error = true;
      b.streamError = providerErrorFromJson({ error: response['error'] }) ?? {
        type: null,
        code: null,
        message: null,
        retryAfterS: null,
      };
    }
  }
}

/** A whole `response` body. */
export function parseResponsesBody(json: JsonObject, b: AnswerBuilder): void {
  const model = nonEmpty(json['model']);
  if (model) b.responseModel = model;
  const output = arr(json['output']);
  const status = nonEmpty(json['status']);
  if (output && status) b.terminalSeen = true;
  (output ?? []).forEach((o, i) => {
    const item = obj(o);
    if (!item) return;
    const type = nonEmpty(item['type']);
    if (type === 'message') {
      for (const p of arr(item['content']) ?? []) {
        const part = obj(p);
        if (!part) continue;
        b.appendText(part['type'] === 'refusal' ? part['refusal'] : part['text']);
      }
    } else if (type === 'reasoning') {
      // Summaries are what the API shows; raw reasoning text only from open models.
      for (const p of [...(arr(item['summary']) ?? []), ...(arr(item['content']) ?? [])]) {
        const part = obj(p);
        b.markReasoningBoundary();
        if (part) b.appendReasoning(part['text']);
      }
    } else if (type !== null && (CALL_ITEM_TYPES.has(type) || type === 'local_shell_call')) {
      fillCall(b, b.tool(nonEmpty(item['id']) ?? `out${i}`), item);
    }
  });
  if (status) b.stopReason = stopReasonOf(json, status);
  const usage = obj(json['usage']);
  if (usage) b.setUsage(responsesUsage(usage), true);
  if (status === 'failed') {
    b.streamError = providerErrorFromJson({ error: json['error'] }) ?? { type: null, code: null, message: null, retryAfterS: null };
  }
}

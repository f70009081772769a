// Anthropic Messages API (Claude Code, the Anthropic SDKs). Stream: message_start,
// then content_block_start / content_block_delta* / content_block_stop per block,
// message_delta (stop reason, final usage), message_stop; `ping` keep-alives and
// `error` events can come at any point. Whole body: one `message` object.

import type { AssembledUsage, EventEffect } from '../types.js';
import { providerErrorFromJson } from '../provider-error.js';
import {
  type AnswerBuilder,
  JSON_CHARS,
  JSON_INT,
  JsonStreamAssembler,
  addKnown,
  jsonChars,
  arr,
  makeUsage,
  nonEmpty,
  num,
  obj,
  type JsonObject,
  type ParsedEvent,
} from './shared.js';

/** Block types that are calls: client tools, server tools (web search), MCP tools. */
function isToolBlock(type: string | null): boolean {
  return type === 'tool_use' || type === 'server_tool_use' || type === 'mcp_tool_use';
}

/** Anthropic's usage counters as last reported; message_delta repeats or updates them. */
interface UsageParts {
  input: number | null;
  cacheCreation: number | null;
  cacheRead: number | null;
  output: number | null;
}

function readUsage(u: JsonObject, into: UsageParts): void {
  into.input = num(u['input_tokens']) ?? into.input;
  into.cacheCreation = num(u['cache_creation_input_tokens']) ?? into.cacheCreation;
  into.cacheRead = num(u['cache_read_input_tokens']) ?? into.cacheRead;
  into.output = num(u['output_tokens']) ?? into.output;
}

/**
 * Anthropic's input_tokens counts only the uncached part of the prompt; cache writes
 * and cache reads are reported beside it. Streamtap's inputTokens means "the whole
 * prompt", as OpenAI's prompt_tokens / input_tokens do (they include cached tokens),
 * so it is input + cache_creation + cache_read, and cachedTokens is the cache read.
 * Thinking tokens are part of output_tokens and not reported apart: reasoning is null.
 */
function toUsage(p: UsageParts): AssembledUsage {
  return makeUsage(addKnown(p.input, p.cacheCreation, p.cacheRead), p.output, null, p.cacheRead, null);
}

/** A text or thinking delta exactly as Anthropic sends most of a stream's events: keys
 * fixed in order, anchored, so a match is valid JSON that handle() would read as "this
 * text (or thinking)" and nothing else; anything else is parsed. */
export const MESSAGES_TEXT_DELTA = new RegExp(
  String.raw`^\{"type":"content_block_delta","index":${JSON_INT},"delta":\{"type":"(?:text_delta","text|thinking_delta","(thinking))":"(${JSON_CHARS})"\}\}$`,
);

export class AnthropicMessagesAssembler extends JsonStreamAssembler {
  private readonly blockTypes = new Map<number, string>();
  private readonly usageParts: UsageParts = { input: null, cacheCreation: null, cacheRead: null, output: null };

  /** Text and thinking deltas: matched (~0.4 µs), not parsed (~1.5 µs). */
  protected override fastEvent(data: string, eventField: string | null, effect: EventEffect): boolean {
    const m = MESSAGES_TEXT_DELTA.exec(data);
    if (!m) return false;
    if (!eventField) effect.name = 'content_block_delta';
    const piece = jsonChars(m[2]!);
    if (m[1] === undefined ? this.answer.appendText(piece) : this.answer.appendReasoning(piece)) effect.contentDelta = true;
    return true;
  }

  protected handle({ json, type, effect }: ParsedEvent): void {
    if (!json || !type) return;
    const b = this.answer;
    switch (type) {
      case 'message_start': {
        const message = obj(json['message']);
        if (!message) return;
        const model = nonEmpty(message['model']);
        if (model) b.responseModel = model;
        const usage = obj(message['usage']);
        if (usage) {
          // Provisional: output_tokens here is the count so far (1–4), not final.
          readUsage(usage, this.usageParts);
          b.setUsage(toUsage(this.usageParts), false);
        }
        return;
      }
      case 'content_block_start': {
        const index = num(json['index']) ?? -1;
        const block = obj(json['content_block']);
        if (!block) return;
        const blockType = nonEmpty(block['type']);
        if (blockType) this.blockTypes.set(index, blockType);
        if (blockType === 'text') {
          if (b.appendText(block['text'])) effect.contentDelta = true;
        } else if (blockType === 'thinking') {
          b.markReasoningBoundary();
          if (b.appendReasoning(block['thinking'])) effect.contentDelta = true;
        } else if (blockType === 'redacted_thinking') {
          // Encrypted reasoning: nothing to show, but the model did produce output.
          effect.contentDelta = true;
        } else if (isToolBlock(blockType)) {
          const call = b.tool(`b${index}`);
          const name = nonEmpty(block['name']);
          if (call) {
            call.id = nonEmpty(block['id']);
            call.name = name;
          }
          // The tool's name is the first output of a tool call: it fixes TTFT.
          if (name) effect.contentDelta = true;
        }
        return;
      }
      case 'content_block_delta': {
        const index = num(json['index']) ?? -1;
        const delta = obj(json['delta']);
        if (!delta) return;
        switch (nonEmpty(delta['type'])) {
          case 'text_delta':
            if (b.appendText(delta['text'])) effect.contentDelta = true;
            return;
          case 'thinking_delta':
            if (b.appendReasoning(delta['thinking'])) effect.contentDelta = true;
            return;
          case 'input_json_delta':
            // The first input_json_delta of a block is often empty: not content.
            if (b.appendArguments(b.tool(`b${index}`), delta['partial_json'])) effect.contentDelta = true;
            return;
          default:
            // signature_delta, citations_delta: nothing the record shows.
            return;
        }
      }
      case 'message_delta': {
        const delta = obj(json['delta']);
        const stop = delta ? nonEmpty(delta['stop_reason']) : null;
        if (stop) b.stopReason = stop;
        const usage = obj(json['usage']);
        if (usage) {
          readUsage(usage, this.usageParts);
          b.setUsage(toUsage(this.usageParts), true);
          effect.usage = true;
        }
        return;
      }
      case 'message_stop':
        effect.terminal = true;
        b.terminalSeen = true;
        return;
      case 'error':
        b.streamError = providerErrorFromJson(json) ?? { type: null, code: null, message: null, retryAfterS: null };
        effect.error = true;
        return;
      default:
        // ping, content_block_stop, and event types added later
        return;
    }
  }
}

/** A whole `message` body. Tool inputs arrive as objects: stored as JSON text. */
export function parseMessagesBody(json: JsonObject, b: AnswerBuilder): void {
  const model = nonEmpty(json['model']);
  if (model) b.responseModel = model;
  const content = arr(json['content']);
  if (json['type'] === 'message' || content) b.terminalSeen = true;
  (content ?? []).forEach((c, i) => {
    const block = obj(c);
    if (!block) return;
    const type = nonEmpty(block['type']);
    if (type === 'text') b.appendText(block['text']);
    else if (type === 'thinking') {
      b.markReasoningBoundary();
      b.appendReasoning(block['thinking']);
    } else if (isToolBlock(type)) {
      const call = b.tool(`b${i}`);
      if (!call) return;
      call.id = nonEmpty(block['id']);
      call.name = nonEmpty(block['name']);
      if (block['input'] !== undefined) b.appendArguments(call, stringify(block['input']));
    }
  });
  b.stopReason = nonEmpty(json['stop_reason']);
  const usage = obj(json['usage']);
  if (usage) {
    const parts: UsageParts = { input: null, cacheCreation: null, cacheRead: null, output: null };
    readUsage(usage, parts);
    b.setUsage(toUsage(parts), true);
  }
}

function stringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

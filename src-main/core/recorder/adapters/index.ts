// One entry point per direction: createAssembler(api) for streams (fed event by event
// by the recorder, after each chunk reached the client) and parseNonStreamBody(api,
// text) for whole JSON answers. Both are pure and never throw on provider input.

import type { ApiKind } from '../../../common/record.js';
import type { Assembled, EventEffect, StreamAssembler } from '../types.js';
import { providerErrorFromJson } from '../provider-error.js';
import { AnthropicMessagesAssembler, parseMessagesBody } from './anthropic-messages.js';
import { OpenAiChatAssembler, parseChatBody } from './openai-chat.js';
import { OpenAiResponsesAssembler, parseResponsesBody } from './openai-responses.js';
import { AnswerBuilder, JsonStreamAssembler, arr, nonEmpty, num, obj, type AssemblerOptions, type JsonObject, type ParsedEvent } from './shared.js';

export type { AssemblerOptions } from './shared.js';
export { DEFAULT_MAX_CHARS, DEFAULT_MAX_TOOL_CALLS } from './shared.js';

/**
 * Embeddings (never streamed in practice) and unknown APIs: events are counted and
 * named, nothing is assembled. Their payloads may legitimately not be JSON, so a
 * non-JSON event is not counted as malformed. `[DONE]` still marks the end: the
 * legacy /v1/completions stream and other OpenAI-style endpoints use it.
 */
class CountingAssembler extends JsonStreamAssembler {
  protected override readonly countsBadJson = false;

  protected override onDone(effect: EventEffect): void {
    effect.terminal = true;
    this.answer.terminalSeen = true;
  }

  protected handle(_ev: ParsedEvent): void {}
}

export function createAssembler(api: ApiKind, options?: AssemblerOptions): StreamAssembler {
  switch (api) {
    case 'chat.completions':
      return new OpenAiChatAssembler(options);
    case 'responses':
      return new OpenAiResponsesAssembler(options);
    case 'messages':
      return new AnthropicMessagesAssembler(options);
    case 'embeddings':
    case 'other':
      return new CountingAssembler(options);
    default: {
      // An ApiKind added later fails to compile here; a bad value at run time counts events.
      const unknownApi: never = api;
      void unknownApi;
      return new CountingAssembler(options);
    }
  }
}

/** A body is an error answer when it says so (Anthropic) or when it carries an error
 * and none of an answer's parts (a failed Responses object also has `error`, but is a
 * response and is handled as one). */
function isErrorBody(json: JsonObject): boolean {
  if (json['type'] === 'error') return true;
  const hasError = json['error'] !== undefined && json['error'] !== null;
  if (!hasError) return false;
  return !(arr(json['choices']) || arr(json['output']) || arr(json['content']) || arr(json['data']));
}

function parseEmbeddingsBody(json: JsonObject, b: AnswerBuilder): void {
  const model = nonEmpty(json['model']);
  if (model) b.responseModel = model;
  if (arr(json['data'])) b.terminalSeen = true;
  const usage = obj(json['usage']);
  if (usage) {
    const input = num(usage['prompt_tokens']) ?? num(usage['input_tokens']);
    b.setUsage({ inputTokens: input, outputTokens: null, reasoningTokens: null, cachedTokens: null, totalTokens: num(usage['total_tokens']) ?? input }, true);
  }
}

/**
 * The answer in a whole (non-stream) JSON body. `terminalSeen` is true when the body
 * is a complete provider response; eventCount stays 0 (no stream events were seen);
 * a body that is not JSON counts as one bad-JSON payload.
 */
export function parseNonStreamBody(api: ApiKind, bodyText: string, options?: AssemblerOptions): Assembled {
  const b = new AnswerBuilder(options);
  let value: unknown;
  try {
    value = JSON.parse(typeof bodyText === 'string' ? bodyText : '');
  } catch {
    b.badJson = 1;
    return b.snapshot();
  }
  const json = obj(value);
  if (!json) {
    // Valid JSON that is not an object: an error array from a gateway, or an unknown answer.
    const err = providerErrorFromJson(value);
    if (err) b.streamError = err;
    else if (api === 'other') b.terminalSeen = true;
    return b.snapshot();
  }
  if (isErrorBody(json)) {
    b.streamError = providerErrorFromJson(json) ?? { type: null, code: null, message: null, retryAfterS: null };
    return b.snapshot();
  }
  try {
    switch (api) {
      case 'chat.completions':
        parseChatBody(json, b);
        break;
      case 'responses':
        parseResponsesBody(json, b);
        break;
      case 'messages':
        parseMessagesBody(json, b);
        break;
      case 'embeddings':
        parseEmbeddingsBody(json, b);
        break;
      case 'other': {
        // Unknown endpoints (models list, files…): any JSON answer is a whole answer.
        const model = nonEmpty(json['model']);
        if (model) b.responseModel = model;
        b.terminalSeen = true;
        break;
      }
      default: {
        const unknownApi: never = api;
        void unknownApi;
      }
    }
  } catch {
    // Last resort, as for streams: the parsers guard every access.
  }
  return b.snapshot();
}

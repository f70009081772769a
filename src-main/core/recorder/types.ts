// The interface between the proxy's recording pipeline and the per-API parsers.
// The proxy writes each upstream chunk to the client first; the recording then decodes
// it (gzip/br/zstd), feeds it to an SseParser and each parsed event to the API's
// assembler (recorder/recording.ts).

import type { ProviderError, ToolCall } from '../../common/record.js';

export interface SseEvent {
  /** the `event:` field, or null when the event had none */
  event: string | null;
  /** the `data:` lines joined by "\n" */
  data: string;
  id: string | null;
}

/** What one SSE event meant, as far as the recorder cares. */
export interface EventEffect {
  /** display name: the `event:` field, else the JSON `type`, else "chunk"; "[DONE]" for OpenAI's end marker */
  name: string;
  /** carried answer or reasoning text (or tool-call arguments): the first such event fixes TTFT */
  contentDelta: boolean;
  /** the provider's end-of-answer event: [DONE], response.completed, message_stop (also response.incomplete / response.failed end the stream) */
  terminal: boolean;
  /** an error event inside a 2xx stream (Anthropic `error`, Responses `error` / `response.failed`, OpenAI chat `{error:…}`) */
  error: boolean;
  /** the event carried final usage */
  usage: boolean;
  /** data was not valid JSON (and not a known marker like [DONE]); counted, never fatal */
  badJson: boolean;
}

export interface AssembledUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  cachedTokens: number | null;
  totalTokens: number | null;
}

/** The answer as it stands (complete or not). */
export interface Assembled {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  usage: AssembledUsage | null;
  stopReason: string | null;
  responseModel: string | null;
  terminalSeen: boolean;
  usageSeen: boolean;
  /** an error event seen inside the stream (or the error of a non-stream body) */
  streamError: ProviderError | null;
  badJson: number;
  eventCount: number;
  lastEventName: string | null;
  /** text, reasoning or a tool call's arguments hit the assembler's cap (or too many tool
   * calls): what is kept is a prefix of the answer */
  textTruncated: boolean;
}

export interface StreamAssembler {
  onEvent(ev: SseEvent): EventEffect;
  snapshot(): Assembled;
}

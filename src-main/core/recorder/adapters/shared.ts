// Building blocks shared by the per-API assemblers and body parsers: defensive JSON
// accessors (provider payloads are untrusted and change shape without notice, and an
// assembler must never throw on the streaming path), a capped answer builder, and the
// common prelude that turns one SSE event into parsed JSON plus a display name.

import type { ToolCall } from '../../../common/record.js';
import type { Assembled, AssembledUsage, EventEffect, SseEvent, StreamAssembler } from '../types.js';

export interface AssemblerOptions {
  /** max characters kept per field: text, reasoning, and each tool call's arguments */
  maxChars?: number;
  /** max distinct tool calls kept; a runaway stream cannot grow the list without end */
  maxToolCalls?: number;
}

export const DEFAULT_MAX_CHARS = 2 * 1024 * 1024;
export const DEFAULT_MAX_TOOL_CALLS = 256;

export type JsonObject = Record<string, unknown>;

/** For the fast paths' patterns: a JSON string's body, with no quote, backslash or
 * control character unescaped (JSON.parse refuses raw control characters) and only the
 * escapes JSON has; PLAIN_CHARS, the same without any escape. */
export const JSON_CHARS = String.raw`(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*`;
export const PLAIN_CHARS = String.raw`[^"\\\u0000-\u001f]*`;
/** A JSON integer as a pattern (no leading zeros: JSON.parse refuses them). */
export const JSON_INT = '(?:0|[1-9][0-9]*)';

/** The value of a JSON string body JSON_CHARS matched. Escapes are rare in answer text
 * (providers send UTF-8): only then is it parsed. */
export function jsonChars(raw: string): string {
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/** A plain JSON object, or null for anything else (arrays, null, primitives). */
export function obj(v: unknown): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
}

export function arr(v: unknown): readonly unknown[] | null {
  return Array.isArray(v) ? v : null;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** A non-empty string, or null: empty strings carry nothing worth recording. */
export function nonEmpty(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** A finite number, or null. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Provider error codes are strings for OpenAI, numbers for OpenRouter and vLLM. */
export function code(v: unknown): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** `a + b`, treating null as unknown unless the other side is known. */
export function addKnown(...parts: (number | null)[]): number | null {
  let total: number | null = null;
  for (const p of parts) if (p !== null) total = (total ?? 0) + p;
  return total;
}

export function emptyEffect(name: string): EventEffect {
  return { name, contentDelta: false, terminal: false, error: false, usage: false, badJson: false };
}

/** Usage with the total filled in when the provider omitted it (Anthropic never sends one). */
export function makeUsage(
  inputTokens: number | null,
  outputTokens: number | null,
  reasoningTokens: number | null,
  cachedTokens: number | null,
  totalTokens: number | null,
): AssembledUsage {
  const total = totalTokens ?? (inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null);
  return { inputTokens, outputTokens, reasoningTokens, cachedTokens, totalTokens: total };
}

/** Cuts `s` to at most `room` UTF-16 units without leaving half a surrogate pair. */
function cut(s: string, room: number): string {
  if (room <= 0) return '';
  let end = Math.min(room, s.length);
  const last = s.charCodeAt(end - 1);
  if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/** Pieces joined into one string every this many appends (see PieceText). */
const JOIN_PIECES = 32;

/**
 * A string built by appending pieces. A piece a fast path's pattern cut from an
 * event's data is a V8 slice that keeps that whole data string alive, and a chain of
 * `+` keeps every piece: a stream's every event would stay in memory until the end.
 * Under many concurrent streams that was most of what the scavenger promoted and full
 * collections then marked. The newest pieces are joined into one new string every
 * JOIN_PIECES appends, which lets their events go.
 */
class PieceText {
  private joined = '';
  private readonly recent: string[] = [];
  private recentChars = 0;

  get length(): number {
    return this.joined.length + this.recentChars;
  }

  get value(): string {
    if (this.recent.length > 0) this.join();
    return this.joined;
  }

  append(s: string): void {
    this.recent.push(s);
    this.recentChars += s.length;
    if (this.recent.length >= JOIN_PIECES) this.join();
  }

  private join(): void {
    this.joined += this.recent.join('');
    this.recent.length = 0;
    this.recentChars = 0;
  }
}

/**
 * The answer as it accumulates. Every field is capped at `maxChars`; past the cap the
 * builder stops appending and sets `truncated`, so a runaway stream cannot exhaust
 * memory. Tool calls are keyed by whatever the API uses to address them (chat: the
 * delta index; Responses: the item id; Messages: the content block index).
 */
export class AnswerBuilder {
  readonly maxChars: number;
  readonly maxToolCalls: number;
  private readonly textPieces = new PieceText();
  private readonly reasoningPieces = new PieceText();
  truncated = false;
  private reasoningBoundary = false;
  private lastReasoningPiece = '';
  private readonly tools = new Map<string, ToolCall>();
  usage: AssembledUsage | null = null;
  stopReason: string | null = null;
  responseModel: string | null = null;
  terminalSeen = false;
  usageSeen = false;
  streamError: Assembled['streamError'] = null;
  badJson = 0;
  eventCount = 0;
  lastEventName: string | null = null;

  constructor(options: AssemblerOptions = {}) {
    this.maxChars = positiveInt(options.maxChars, DEFAULT_MAX_CHARS);
    this.maxToolCalls = positiveInt(options.maxToolCalls, DEFAULT_MAX_TOOL_CALLS);
  }

  get text(): string {
    return this.textPieces.value;
  }

  get reasoning(): string {
    return this.reasoningPieces.value;
  }

  /** Appends answer text; returns true when `s` carried any. */
  appendText(s: unknown): boolean {
    if (typeof s !== 'string' || s.length === 0) return false;
    this.appendPiece(this.textPieces, s);
    return true;
  }

  /** Appends reasoning; returns true when `s` carried any. Parts of a reasoning summary
   * (and separate thinking blocks) are independent paragraphs: a blank line between. */
  appendReasoning(s: unknown): boolean {
    if (typeof s !== 'string' || s.length === 0) return false;
    // endsWith on the last piece, not on the whole: on a long concatenated string it
    // would flatten it every time.
    if (this.reasoningBoundary && this.reasoningPieces.length > 0 && !this.lastReasoningPiece.endsWith('\n\n')) {
      this.appendPiece(this.reasoningPieces, '\n\n');
    }
    this.reasoningBoundary = false;
    this.appendPiece(this.reasoningPieces, s);
    this.lastReasoningPiece = s;
    return true;
  }

  /** The next reasoning text starts a new part. Lazy, so no trailing separator is left. */
  markReasoningBoundary(): void {
    this.reasoningBoundary = true;
  }

  hasTool(key: string): boolean {
    return this.tools.has(key);
  }

  /** The tool call under `key`, created when new; null once the tool-call cap is hit. */
  tool(key: string): ToolCall | null {
    const existing = this.tools.get(key);
    if (existing) return existing;
    if (this.tools.size >= this.maxToolCalls) {
      this.truncated = true;
      return null;
    }
    const created: ToolCall = { id: null, name: null, arguments: '' };
    this.tools.set(key, created);
    return created;
  }

  /** Appends tool-call argument text; returns true when `s` carried any. */
  appendArguments(call: ToolCall | null, s: unknown): boolean {
    if (typeof s !== 'string' || s.length === 0) return false;
    if (call) call.arguments = this.append(call.arguments, s);
    return true;
  }

  setUsage(usage: AssembledUsage, final: boolean): void {
    this.usage = usage;
    if (final) this.usageSeen = true;
  }

  private appendPiece(text: PieceText, s: string): void {
    const piece = this.fitting(text.length, s);
    if (piece) text.append(piece);
  }

  private append(current: string, s: string): string {
    return current + this.fitting(current.length, s);
  }

  /** What of `s` fits after `length` characters under the cap ('' when none does); a
   * cut sets `truncated`. */
  private fitting(length: number, s: string): string {
    const room = this.maxChars - length;
    if (s.length <= room) return s;
    this.truncated = true;
    return cut(s, room);
  }

  snapshot(): Assembled {
    return {
      text: this.text,
      reasoning: this.reasoning,
      toolCalls: [...this.tools.values()].map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      usage: this.usage ? { ...this.usage } : null,
      stopReason: this.stopReason,
      responseModel: this.responseModel,
      terminalSeen: this.terminalSeen,
      usageSeen: this.usageSeen,
      streamError: this.streamError ? { ...this.streamError } : null,
      badJson: this.badJson,
      eventCount: this.eventCount,
      lastEventName: this.lastEventName,
      textTruncated: this.truncated,
    };
  }
}

function positiveInt(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : fallback;
}

/** What the prelude hands an API handler: the parsed payload and the effect to fill. */
export interface ParsedEvent {
  /** the JSON payload when it is an object; null for arrays/primitives (valid JSON, unknown shape) */
  json: JsonObject | null;
  /** the JSON `type` field, else the `event:` field: what the event means */
  type: string | null;
  /** the `event:` field, when present and non-empty */
  eventField: string | null;
  effect: EventEffect;
}

/**
 * The shared shape of every assembler: count the event, recognise `[DONE]`, parse the
 * JSON (bad JSON is counted, never fatal), name the event, hand it to the API handler.
 * The try/catch is a last resort only — handlers guard every access — because an
 * exception here would surface on the proxy's streaming path.
 */
export abstract class JsonStreamAssembler implements StreamAssembler {
  protected readonly answer: AnswerBuilder;
  /** events whose handler threw (a bug, caught so the stream goes on); tests assert 0 */
  internalErrors = 0;

  constructor(options?: AssemblerOptions) {
    this.answer = new AnswerBuilder(options);
  }

  /** Whether a bad-JSON payload counts as malformed (false for APIs of unknown format). */
  protected readonly countsBadJson: boolean = true;

  /** `data: [DONE]`: OpenAI's end marker. */
  protected onDone(effect: EventEffect): void {
    void effect;
  }

  protected abstract handle(ev: ParsedEvent): void;

  /** An API's fast path: handles an event of a shape it recognises exactly from the
   * data text, without JSON.parse, with the result handle() would give; false for
   * anything else (then the event is parsed). */
  protected fastEvent(data: string, eventField: string | null, effect: EventEffect): boolean {
    void data;
    void eventField;
    void effect;
    return false;
  }

  onEvent(ev: SseEvent): EventEffect {
    const b = this.answer;
    b.eventCount++;
    const eventField = ev !== null && typeof ev === 'object' && typeof ev.event === 'string' && ev.event.length > 0 ? ev.event : null;
    let effect = emptyEffect(eventField ?? 'chunk');
    try {
      const data = ev !== null && typeof ev === 'object' && typeof ev.data === 'string' ? ev.data : '';
      if (data === '[DONE]' || (data.length < 16 && data.trim() === '[DONE]')) {
        effect.name = '[DONE]';
        this.onDone(effect);
      } else if (!this.fastEvent(data, eventField, effect)) {
        let value: unknown;
        let parsed = true;
        try {
          value = JSON.parse(data);
        } catch {
          parsed = false;
        }
        if (!parsed) {
          if (this.countsBadJson) {
            b.badJson++;
            effect.badJson = true;
          }
        } else {
          const json = obj(value);
          const jsonType = json ? nonEmpty(json['type']) : null;
          if (!eventField && jsonType) effect.name = jsonType;
          this.handle({ json, type: jsonType ?? eventField, eventField, effect });
        }
      }
    } catch {
      this.internalErrors++;
      effect = emptyEffect(effect.name);
    }
    b.lastEventName = effect.name;
    return effect;
  }

  snapshot(): Assembled {
    return this.answer.snapshot();
  }
}

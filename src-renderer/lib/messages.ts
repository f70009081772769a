// Reads a captured request body into what a person wants to see: the conversation by
// role, the system prompt, the tools and the parameters. Covers the three APIs the
// proxy records: chat completions (`messages`), responses (`input` / `instructions`)
// and Anthropic messages (`system` + `messages` with content blocks). Unknown shapes
// degrade to JSON text rather than disappearing. Pure.

import type { ApiKind, CapturedBody } from '../../src-main/common/record.js';

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string }
  | { kind: 'image'; note: string }
  | { kind: 'tool_call'; id: string | null; name: string; args: string }
  | { kind: 'tool_result'; id: string | null; text: string; isError: boolean }
  | { kind: 'other'; json: string };

export interface Message {
  role: string;
  parts: Part[];
}

export interface ToolDef {
  name: string;
  description: string;
  schema: string;
}

export interface ParsedRequest {
  /** null when the body could not be read as JSON; `problem` says why */
  problem: string | null;
  system: string | null;
  messages: Message[];
  tools: ToolDef[];
  /** top-level parameters other than the conversation and the tools, as display text */
  params: [string, string][];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function compact(v: unknown, max = 2000): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Text of a block list or a string (tool results, system blocks). */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v
      .map((b) => (isObj(b) ? (str(b['text']) ?? (b['type'] === 'image' || b['type'] === 'input_image' ? '[image]' : compact(b, 500))) : String(b)))
      .join('\n');
  }
  return v === undefined || v === null ? '' : compact(v);
}

function imageNote(b: Json): string {
  const src = isObj(b['source']) ? b['source'] : null;
  const media = str(src?.['media_type']) ?? '';
  const url = str(b['image_url']) ?? (isObj(b['image_url']) ? str(b['image_url']['url']) : null) ?? str(src?.['url']);
  if (url && !url.startsWith('data:')) return `image ${url.slice(0, 120)}`;
  return media ? `image (${media})` : 'image';
}

/** One content block of any of the three APIs. */
function blockToPart(b: unknown): Part {
  if (typeof b === 'string') return { kind: 'text', text: b };
  if (!isObj(b)) return { kind: 'other', json: compact(b) };
  const type = str(b['type']);
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return { kind: 'text', text: str(b['text']) ?? '' };
    case 'thinking':
      return { kind: 'reasoning', text: str(b['thinking']) ?? '' };
    case 'redacted_thinking':
      return { kind: 'reasoning', text: '[redacted thinking]' };
    case 'image':
    case 'image_url':
    case 'input_image':
      return { kind: 'image', note: imageNote(b) };
    case 'tool_use':
    case 'server_tool_use':
      return { kind: 'tool_call', id: str(b['id']), name: str(b['name']) ?? '?', args: compact(b['input'] ?? {}) };
    case 'tool_result':
      return { kind: 'tool_result', id: str(b['tool_use_id']), text: textOf(b['content']), isError: b['is_error'] === true };
    default:
      if (typeof b['text'] === 'string') return { kind: 'text', text: b['text'] };
      return { kind: 'other', json: compact(b) };
  }
}

function contentParts(content: unknown): Part[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (Array.isArray(content)) return content.map(blockToPart);
  return [blockToPart(content)];
}

function chatMessages(messages: unknown): Message[] {
  if (!Array.isArray(messages)) return [];
  return messages.map((m): Message => {
    if (!isObj(m)) return { role: 'unknown', parts: [{ kind: 'other', json: compact(m) }] };
    const role = str(m['role']) ?? 'unknown';
    const parts = contentParts(m['content']);
    if (typeof m['reasoning_content'] === 'string') parts.unshift({ kind: 'reasoning', text: m['reasoning_content'] });
    if (Array.isArray(m['tool_calls'])) {
      for (const tc of m['tool_calls']) {
        if (!isObj(tc)) continue;
        const fn = isObj(tc['function']) ? tc['function'] : {};
        parts.push({ kind: 'tool_call', id: str(tc['id']), name: str(fn['name']) ?? '?', args: str(fn['arguments']) ?? compact(fn['arguments'] ?? '') });
      }
    }
    if (role === 'tool') {
      return { role, parts: [{ kind: 'tool_result', id: str(m['tool_call_id']), text: textOf(m['content']), isError: false }] };
    }
    return { role, parts };
  });
}

function responsesInput(input: unknown): Message[] {
  if (typeof input === 'string') return [{ role: 'user', parts: [{ kind: 'text', text: input }] }];
  if (!Array.isArray(input)) return [];
  const out: Message[] = [];
  for (const item of input) {
    if (!isObj(item)) {
      out.push({ role: 'unknown', parts: [{ kind: 'other', json: compact(item) }] });
      continue;
    }
    const type = str(item['type']);
    if (type === 'function_call' || type === 'custom_tool_call') {
      out.push({
        role: 'assistant',
        parts: [{ kind: 'tool_call', id: str(item['call_id']), name: str(item['name']) ?? '?', args: str(item['arguments']) ?? str(item['input']) ?? '' }],
      });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      out.push({ role: 'tool', parts: [{ kind: 'tool_result', id: str(item['call_id']), text: textOf(item['output']), isError: false }] });
    } else if (type === 'reasoning') {
      const summary = Array.isArray(item['summary']) ? item['summary'].map((s) => (isObj(s) ? (str(s['text']) ?? '') : '')).join('\n') : '';
      out.push({ role: 'assistant', parts: [{ kind: 'reasoning', text: summary || '[reasoning, encrypted]' }] });
    } else if (type === 'message' || item['role'] !== undefined) {
      out.push({ role: str(item['role']) ?? 'unknown', parts: contentParts(item['content']) });
    } else {
      out.push({ role: type ?? 'item', parts: [{ kind: 'other', json: compact(item) }] });
    }
  }
  return out;
}

function toolDefs(tools: unknown): ToolDef[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t): ToolDef => {
    if (!isObj(t)) return { name: '?', description: '', schema: compact(t) };
    // chat: { type: 'function', function: { name, description, parameters } }
    const fn = isObj(t['function']) ? t['function'] : t;
    const name = str(fn['name']) ?? str(t['type']) ?? '?';
    const schema = fn['parameters'] ?? fn['input_schema'] ?? t['input_schema'] ?? null;
    return { name, description: str(fn['description']) ?? '', schema: schema === null ? '' : compact(schema, 20_000) };
  });
}

const CONVERSATION_KEYS = new Set(['messages', 'input', 'instructions', 'system', 'tools']);

export function parseRequestBody(api: ApiKind, body: CapturedBody | null | undefined): ParsedRequest {
  const empty: ParsedRequest = { problem: null, system: null, messages: [], tools: [], params: [] };
  if (!body || body.text === '') return { ...empty, problem: body && body.bytes > 0 ? 'The request body was not captured.' : 'No request body.' };
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    const why = body.truncated
      ? `The request body was cut at the capture limit (${body.text.length.toLocaleString('en-US')} of ${body.bytes.toLocaleString('en-US')} bytes), so it cannot be read as JSON. The Raw tab shows what was kept.`
      : 'The request body is not JSON. The Raw tab shows it as sent.';
    return { ...empty, problem: why };
  }
  if (!isObj(json)) return { ...empty, problem: 'The request body is JSON but not an object.' };

  let system: string | null = null;
  let messages: Message[] = [];
  if (api === 'responses' || (api !== 'messages' && json['input'] !== undefined && json['messages'] === undefined)) {
    system = typeof json['instructions'] === 'string' ? json['instructions'] : null;
    messages = responsesInput(json['input']);
  } else {
    if (json['system'] !== undefined) system = textOf(json['system']);
    messages = chatMessages(json['messages']);
  }
  const params: [string, string][] = [];
  for (const [k, v] of Object.entries(json)) {
    if (CONVERSATION_KEYS.has(k)) continue;
    params.push([k, typeof v === 'string' ? v : compact(v, 400)]);
  }
  return { problem: null, system: system && system.length ? system : null, messages, tools: toolDefs(json['tools']), params };
}

// ---- what the user typed -------------------------------------------------------------

const REMINDER = /<system-reminder>([\s\S]*?)<\/system-reminder>/g;

/** A text with Claude Code's `<system-reminder>` blocks taken out (they are the tool's
 * notes to the model, not the user's words). */
export function splitReminders(text: string): { text: string; reminders: string[] } {
  const reminders: string[] = [];
  const rest = text.replace(REMINDER, (_m, inner: string) => {
    reminders.push(inner.trim());
    return '';
  });
  return { text: rest.trim(), reminders };
}

export interface Prompt {
  /** index of its message in ParsedRequest.messages */
  index: number;
  text: string;
  /** reminders and tool results that came with it, folded away */
  reminders: string[];
  toolResults: number;
  /** messages after it (the agent's tool calls and their results in this turn) */
  after: number;
}

/**
 * The latest thing the user typed: the text of the last user message that has any once
 * reminders are taken out (an agent's later user messages carry only tool results).
 */
export function latestPrompt(p: Pick<ParsedRequest, 'messages'>): Prompt | null {
  for (let i = p.messages.length - 1; i >= 0; i--) {
    const m = p.messages[i]!;
    if (m.role !== 'user') continue;
    const texts: string[] = [];
    const reminders: string[] = [];
    let toolResults = 0;
    for (const part of m.parts) {
      if (part.kind === 'text') {
        const s = splitReminders(part.text);
        if (s.text) texts.push(s.text);
        reminders.push(...s.reminders);
      } else if (part.kind === 'tool_result') toolResults++;
    }
    if (texts.length) return { index: i, text: texts.join('\n\n'), reminders, toolResults, after: p.messages.length - 1 - i };
  }
  return null;
}

// What a request's body says about its place in a session, read once, off the streaming
// path, when the body is on its way upstream (recorder/recording.ts calls the linker):
//   - the turn fingerprint: a hash of what makes the logical request (model, system
//     prompt or instructions, messages or Responses input, tools), so that its attempts —
//     SDK retries, Codex's reconnects, Claude Code's non-streaming retry — hash alike
//     whatever else changed between them (the stream flag, stream_options, max_tokens,
//     metadata, headers);
//   - the conversation's shape for continuity: how many messages, and a hash of each
//     message that a later request can be compared against;
//   - the prompts the user typed (the session's title, each turn's prompt).
// Pure apart from hashing.

import { createHash, hash } from 'node:crypto';
import { PROMPT_CHARS, type ApiKind, type ConversationFacts, type RequestRecord } from '../../common/record.js';
import { topLevelMembers } from './json-scan.js';

/** The APIs whose requests carry a conversation (messages or input items). */
export function isConversationApi(api: ApiKind): boolean {
  return api === 'chat.completions' || api === 'responses' || api === 'messages';
}

/** The members that make a conversation request's turn, in hashing order. Everything
 * else (stream, stream_options, max_tokens, temperature, metadata, reasoning, include…)
 * may differ between two attempts of one turn. */
const TURN_MEMBERS = ['model', 'system', 'instructions', 'messages', 'input', 'tools', 'previous_response_id'] as const;
/** Left out of other requests' fingerprints (embeddings, count_tokens…). */
const ATTEMPT_MEMBERS = new Set(['stream', 'stream_options']);

export interface ConversationRead {
  fingerprint: string;
  facts: ConversationFacts | null;
  /** hash of message `i` as continuity compares it (cache_control markers left out,
   * since Claude Code moves them to the newest message every turn); null when absent */
  messageHash(i: number): string | null;
}

type Req = Pick<RequestRecord, 'api' | 'method' | 'path'>;

/** A class rather than closures: this runs for every request, and a closure per call
 * costs more than the reading itself for a small body. */
class Read implements ConversationRead {
  readonly fingerprint: string;
  readonly facts: ConversationFacts | null;
  private readonly hashes: (string | undefined)[] = [];

  constructor(
    api: ApiKind,
    fingerprint: string,
    private readonly messages: unknown[] | null,
  ) {
    this.fingerprint = fingerprint;
    const n = messages?.length ?? 0;
    this.facts =
      messages && n > 0
        ? {
            messages: n,
            tailHash: this.messageHash(n - 1)!,
            prompt: lastPrompt(api, messages),
            // one message: its prompt is both
            firstPrompt: n === 1 ? lastPrompt(api, messages) : firstPrompt(api, messages),
          }
        : null;
  }

  messageHash(i: number): string | null {
    const messages = this.messages;
    if (!messages || i < 0 || i >= messages.length) return null;
    return (this.hashes[i] ??= shortHash(JSON.stringify(withoutCacheControl(messages[i], 0)) ?? 'null'));
  }
}

/**
 * Reads a request. `body` is the decoded request body (null when there was none) and
 * `json` its parse (undefined or null when it is not JSON).
 */
export function readConversation(req: Req, body: Buffer | null, json: unknown): ConversationRead {
  const messages = isConversationApi(req.api) ? messageList(req.api, json) : null;
  return new Read(req.api, turnFingerprint(req, body, json), messages);
}

function shortHash(text: string): string {
  return hash('sha1', text, 'base64url').slice(0, 22);
}

/** Bodies up to this size are hashed in one call over a copy of the parts; larger ones
 * part by part, without the copy. The same bytes give the same digest either way. */
const ONE_SHOT_BYTES = 64 * 1024;

function turnFingerprint(req: Req, body: Buffer | null, json: unknown): string {
  const parts: Buffer[] = [Buffer.from(`${req.api}\u0000${req.method}\u0000${req.path}\u0000`)];
  const members = body && json !== null && typeof json === 'object' && !Array.isArray(json) ? topLevelMembers(body) : null;
  if (body && members) {
    const names = isConversationApi(req.api) ? TURN_MEMBERS : otherMembers(members);
    for (const name of names) {
      const range = members.get(name);
      if (range) parts.push(Buffer.from(`${name}\u0000`), body.subarray(range[0], range[1]), SEPARATOR);
    }
  } else if (body) {
    parts.push(body);
  }
  if (!body || body.length <= ONE_SHOT_BYTES) return hash('sha1', Buffer.concat(parts), 'base64url').slice(0, 22);
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('base64url').slice(0, 22);
}

const SEPARATOR = Buffer.from([0]);

function otherMembers(members: Map<string, unknown>): string[] {
  const names: string[] = [];
  for (const k of members.keys()) if (!ATTEMPT_MEMBERS.has(k)) names.push(k);
  return names.sort();
}

function messageList(api: ApiKind, json: unknown): unknown[] | null {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  if (api === 'responses') {
    const input = o['input'];
    // A plain-string input is one user message.
    if (typeof input === 'string') return [{ role: 'user', content: input }];
    return Array.isArray(input) ? input : null;
  }
  const messages = o['messages'];
  return Array.isArray(messages) ? messages : null;
}

/** The value with every `cache_control` member removed; the same object when it has none. */
function withoutCacheControl(v: unknown, depth: number): unknown {
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const item = withoutCacheControl(v[i], depth + 1);
      if (item !== v[i]) {
        out ??= v.slice();
        out[i] = item;
      }
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(o)) {
    if (key === 'cache_control') {
      out ??= { ...o };
      delete out[key];
      continue;
    }
    const child = withoutCacheControl(o[key], depth + 1);
    if (child !== o[key]) {
      out ??= { ...o };
      out[key] = child;
    }
  }
  return out ?? o;
}

// ---- prompts the user typed ----------------------------------------------------------

/** Text a tool wrapped in a tag of its own (Claude Code's <system-reminder>,
 * <command-name>, <local-command-stdout>; Codex's <environment_context>,
 * <user_instructions>): injected, not typed. Such tags have a dash or an underscore in
 * their name, which HTML a user pastes into a prompt (<div>, <b>) does not. */
const INJECTED_BLOCK = /<([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)(?:\s[^>]*)?>[\s\S]*?<\/\1>/g;
/** Messages a tool writes in the user's place. */
const INJECTED_PREFIXES = [
  // Claude Code, before the output of a local slash command
  'Caveat: The messages below were generated by the user while running local commands',
  // Codex, the project's AGENTS.md
  '# AGENTS.md instructions for',
];

/** The user-typed part of one text, whitespace collapsed, or null. */
export function typedText(text: string): string | null {
  const trimmed = text.trim();
  if (INJECTED_PREFIXES.some((p) => trimmed.startsWith(p))) return null;
  // Most prompts have no tag at all: skip the tag scan for them.
  const untagged = trimmed.includes('<') ? trimmed.replace(INJECTED_BLOCK, ' ') : trimmed;
  const rest = untagged.replace(/\s+/g, ' ').trim();
  if (rest === '') return null;
  if (rest.length <= PROMPT_CHARS) return rest;
  const cut = rest.slice(0, PROMPT_CHARS - 1);
  const last = cut.charCodeAt(cut.length - 1);
  // never end on half a surrogate pair
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
}

/** What the user typed in one message, or null (not the user's, or only tool results,
 * images and injected text). */
function messagePrompt(api: ApiKind, message: unknown): string | null {
  if (message === null || typeof message !== 'object') return null;
  const m = message as Record<string, unknown>;
  if (m['role'] !== 'user') return null;
  // Responses input items: messages have type "message" or no type at all.
  if (api === 'responses' && m['type'] !== undefined && m['type'] !== 'message') return null;
  const content = m['content'];
  if (typeof content === 'string') return typedText(content);
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const block of content) {
    if (block === null || typeof block !== 'object') continue;
    const b = block as Record<string, unknown>;
    // text (Anthropic, Chat Completions), input_text (Responses); tool results, images and files are not typed
    if ((b['type'] === 'text' || b['type'] === 'input_text') && typeof b['text'] === 'string') {
      const t = typedText(b['text']);
      if (t) parts.push(t);
    }
  }
  return parts.length ? typedText(parts.join(' ')) : null;
}

function firstPrompt(api: ApiKind, messages: unknown[]): string | null {
  for (const m of messages) {
    const p = messagePrompt(api, m);
    if (p) return p;
  }
  return null;
}

function lastPrompt(api: ApiKind, messages: unknown[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const p = messagePrompt(api, messages[i]);
    if (p) return p;
  }
  return null;
}

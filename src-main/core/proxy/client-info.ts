// Who sent a request: the client's name and version from its User-Agent, and the
// agent session it belongs to from the headers the tools send.

import { headerValue, type RawHeaders } from './headers.js';

export interface ClientInfo {
  name: string | null;
  version: string | null;
}

// Ordered: the first match wins. Coding tools first, then the SDKs they may embed.
// Names are the products' own (one style everywhere: "Codex 0.46.0" whichever Codex
// binary sent it, beside "Claude Code 2.0.14"), never a user-agent token.
const CLIENT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\bclaude-cli\/([\w.+-]+)/i, 'Claude Code'],
  [/\bclaude-code\/([\w.+-]+)/i, 'Claude Code'],
  [/\bcodex_exec\/([\w.+-]+)/i, 'Codex'],
  [/\bcodex_cli_rs\/([\w.+-]+)/i, 'Codex'],
  [/\bcodex[-_]?(?:cli|tui|vscode)?\/([\w.+-]+)/i, 'Codex'],
  [/\bopencode\/([\w.+-]+)/i, 'opencode'],
  [/\baider\/([\w.+-]+)/i, 'Aider'],
  [/\bcursor\/([\w.+-]+)/i, 'Cursor'],
  [/\bcontinue\/([\w.+-]+)/i, 'Continue'],
  [/\blitellm\/([\w.+-]+)/i, 'LiteLLM'],
  [/\bOpenAI\/JS ([\w.+-]+)/, 'OpenAI/JS'],
  [/\bOpenAI\/Python ([\w.+-]+)/, 'OpenAI/Python'],
  [/\bAnthropic\/JS ([\w.+-]+)/, 'Anthropic/JS'],
  [/\bAnthropic\/Python ([\w.+-]+)/, 'Anthropic/Python'],
  [/\bcurl\/([\w.+-]+)/i, 'curl'],
  [/\bpython-requests\/([\w.+-]+)/i, 'python-requests'],
  [/\bpython-httpx\/([\w.+-]+)/i, 'httpx'],
  [/\bnode-fetch\/([\w.+-]+)/i, 'node-fetch'],
  [/\bundici\b/i, 'undici'],
  [/\bMozilla\/[\d.]+/, 'Browser'],
];

export function parseUserAgent(ua: string | undefined | null): ClientInfo {
  if (!ua) return { name: null, version: null };
  for (const [re, name] of CLIENT_PATTERNS) {
    const m = re.exec(ua);
    if (m) return { name, version: name === 'Browser' ? null : (m[1] ?? null) };
  }
  // Unknown tool: its first product token, e.g. "mytool/1.2 (linux)" → mytool 1.2.
  const first = /^([^\s/]+)(?:\/([^\s]+))?/.exec(ua.trim());
  return { name: first?.[1]?.slice(0, 64) ?? null, version: first?.[2]?.slice(0, 32) ?? null };
}

/** "Claude Code 2.0.14"; the display form stored in `client`. */
export function clientLabel(info: ClientInfo): string | null {
  if (!info.name) return null;
  return info.version ? `${info.name} ${info.version}` : info.name;
}

/** Codex also sends an `originator` header (codex_cli_rs, codex_exec, codex_vscode). */
export function clientFromHeaders(headers: RawHeaders): ClientInfo {
  const fromUa = parseUserAgent(headerValue(headers, 'user-agent'));
  const originator = headerValue(headers, 'originator');
  if (originator && (!fromUa.name || !/codex/i.test(fromUa.name))) {
    const name = /codex/i.test(originator) ? 'Codex' : originator;
    return { name, version: fromUa.name && /codex/i.test(fromUa.name) ? fromUa.version : null };
  }
  return fromUa;
}

/** The agent session id from the headers each tool sends, else null. */
export function sessionIdFromHeaders(headers: RawHeaders): string | null {
  const direct =
    headerValue(headers, 'x-claude-code-session-id') ??
    headerValue(headers, 'session-id') ??
    headerValue(headers, 'session_id') ??
    headerValue(headers, 'x-session-id') ??
    headerValue(headers, 'x-opencode-session') ??
    headerValue(headers, 'conversation_id');
  if (direct) return direct.slice(0, 200);
  const turn = headerValue(headers, 'x-codex-turn-metadata');
  if (turn) {
    try {
      const meta = JSON.parse(turn) as Record<string, unknown>;
      const id = meta['session_id'] ?? meta['sessionId'] ?? meta['conversation_id'];
      if (typeof id === 'string' && id) return id.slice(0, 200);
    } catch {
      // not JSON: fall through
    }
  }
  return null;
}

// Maps an incoming request to an upstream, per DESIGN.md "Routing":
//   /v1/messages*, or any /v1/… carrying `anthropic-version`  -> anthropic
//   any other /v1/…                                          -> openai
//   /<name>/rest                                             -> the upstream configured as <name>
// The query string is preserved untouched.
//
// `anthropic-version` decides for paths both providers share (GET /v1/models, files,
// batches): every Anthropic SDK and Claude Code send it, and the request carries the
// Anthropic key, which must never reach another provider.

import type { ApiKind } from '../../common/record.js';

export interface Route {
  upstream: string;
  /** the upstream's base URL (may carry a path prefix, e.g. https://openrouter.ai/api) */
  baseUrl: string;
  /** path + query to send upstream, relative to the base URL's own path */
  forwardPath: string;
  api: ApiKind;
}

export type RouteResult = { ok: true; route: Route } | { ok: false; upstream: string; reason: string };

export function splitPathQuery(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

/** What routing reads from the request besides its URL. */
export interface RouteHints {
  /** the request carries an `anthropic-version` header (an Anthropic client) */
  anthropicVersion: boolean;
}

export function resolveRoute(url: string, upstreams: Readonly<Record<string, string>>, hints: RouteHints): RouteResult {
  const [path, query] = splitPathQuery(url);
  let name: string;
  let rest: string;
  if (path === '/v1' || path.startsWith('/v1/')) {
    const isAnthropic = hints.anthropicVersion || path === '/v1/messages' || path.startsWith('/v1/messages/');
    name = isAnthropic ? 'anthropic' : 'openai';
    rest = path;
  } else {
    const m = /^\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return { ok: false, upstream: '', reason: `no upstream for path "${path}"` };
    name = decodeSafe(m[1]!);
    rest = m[2] ?? '/';
  }
  const baseUrl = Object.hasOwn(upstreams, name) ? upstreams[name] : undefined;
  if (!baseUrl) {
    const known = Object.keys(upstreams).sort().join(', ');
    return {
      ok: false,
      upstream: name,
      reason: `no upstream named "${name}" is configured (configured: ${known}); use /v1/… or /<upstream>/…`,
    };
  }
  return { ok: true, route: { upstream: name, baseUrl, forwardPath: rest + query, api: apiKindOf(rest) } };
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Which provider API a path speaks, from its tail (works behind any prefix). */
export function apiKindOf(path: string): ApiKind {
  const p = path.replace(/\/+$/, '');
  if (p.endsWith('/chat/completions')) return 'chat.completions';
  if (p.endsWith('/responses')) return 'responses';
  if (p.endsWith('/messages') && !p.endsWith('/threads/messages')) return 'messages';
  if (p.endsWith('/embeddings')) return 'embeddings';
  return 'other';
}

/** Joins the base URL's path and the forwarded path into the request target. */
export function upstreamTarget(baseUrl: string, forwardPath: string): { origin: string; path: string } {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return { origin: base.origin, path: prefix + forwardPath };
}

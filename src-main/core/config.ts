// Streamtap's runtime configuration and its defaults. Settings come from a settings
// file, CLI flags (`--upstream name=URL`) and the environment; this module merges and
// validates them. Plain Node, no electron.

import { RESERVED_UPSTREAM_NAMES, UPSTREAM_NAME_PATTERN } from '../common/routes.js';
import type { Limits, Timeouts } from '../common/settings.js';

export const DEFAULT_PORT = 7788;
export const DEFAULT_HOST = '127.0.0.1';

export const DEFAULT_UPSTREAMS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
};

export interface CoreConfig {
  host: string;
  port: number;
  dbPath: string;
  upstreams: Record<string, string>;
  timeouts: Timeouts;
  limits: Limits;
  /** how often partial content of a live stream is checkpointed to the store */
  checkpointMs: number;
  /** records older than this many days are deleted (0 = keep forever) */
  retentionDays: number;
  /** the database is kept under this many MiB, oldest records deleted first (0 = no limit) */
  retentionMaxMiB: number;
  /** the largest request body forwarded, in bytes on the wire; a larger one gets 413 */
  maxRequestBytes: number;
}

/** 100 MiB: well above what any provider accepts in one request (Anthropic: 32 MB,
 * OpenAI: tens of MB for a file upload), far below what would hurt the proxy. */
export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/** How long a stop waits for requests in flight before it records them `interrupted`. */
export const DEFAULT_DRAIN_MS = 5_000;

export const DEFAULT_TIMEOUTS: Timeouts = {
  headersMs: 10 * 60_000,
  idleMs: 5 * 60_000,
  connectMs: 30_000,
};

export const DEFAULT_LIMITS: Limits = {
  requestBodyBytes: 4 * 1024 * 1024,
  responseBodyBytes: 4 * 1024 * 1024,
  textChars: 2 * 1024 * 1024,
  eventBytes: 2 * 1024 * 1024,
  eventCount: 20_000,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `name=URL` (the --upstream flag). */
export function parseUpstreamSpec(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--upstream expects name=URL, got "${withoutUserinfo(spec)}"`);
  const name = spec.slice(0, eq).trim();
  const url = spec.slice(eq + 1).trim();
  validateUpstream(name, url);
  return [name, url.replace(/\/+$/, '')];
}

export function validateUpstream(name: string, url: string): void {
  if (!UPSTREAM_NAME_PATTERN.test(name)) {
    throw new ConfigError(`upstream name "${name}" must be letters, digits, "-" or "_"`);
  }
  if (RESERVED_UPSTREAM_NAMES.includes(name)) {
    throw new ConfigError(`upstream name "${name}" is reserved`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`upstream "${name}": "${withoutUserinfo(url)}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`upstream "${name}": only http and https URLs are supported, got ${parsed.protocol}`);
  }
  // A password in the URL would be printed at start, shown in Settings and saved in
  // the settings file. Refused rather than kept: the client's own credentials
  // (Authorization, x-api-key) are forwarded to the upstream unchanged.
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      `upstream "${name}": ${withoutUserinfo(url)} carries a user name or password, which Streamtap never stores or shows; ` +
        'leave it out of the URL and let the client send its credentials (they are forwarded unchanged)',
    );
  }
}

/** Text naming a URL as it may be shown: a user name and password (whatever sits
 * between `//` and `@` in an authority) replaced by `…`. */
export function withoutUserinfo(text: string): string {
  return text.replace(/\/\/[^/?#]*@/g, '//…@');
}

/** Upstreams from the environment: STREAMTAP_UPSTREAM_<NAME>=URL, plus the
 * conventional OPENAI / ANTHROPIC overrides. */
export function upstreamsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^STREAMTAP_UPSTREAM_([A-Z0-9_]+)$/.exec(key);
    if (m && value) {
      const name = m[1]!.toLowerCase().replace(/_/g, '-');
      validateUpstream(name, value);
      out[name] = value.replace(/\/+$/, '');
    }
  }
  return out;
}

/** What resolveConfig takes: the database path and any settings; one left out keeps its
 * default, and so does each timeout and limit left out. */
export type ConfigInput = Partial<Omit<CoreConfig, 'timeouts' | 'limits'>> & {
  dbPath: string;
  timeouts?: Given<Timeouts> | undefined;
  limits?: Given<Limits> | undefined;
};

/** Some of T's values, each possibly undefined (as validated settings carry them). */
type Given<T> = { [K in keyof T]?: T[K] | undefined };

/** The defaults overridden by every value given. A plain spread would let a key present
 * with the value undefined (possible from IPC, which keeps such keys) replace a default
 * with undefined. */
function withDefaults<T extends object>(defaults: T, given: Given<T> | undefined): T {
  const out = { ...defaults };
  for (const key of Object.keys(given ?? {}) as (keyof T)[]) {
    const value = given![key];
    if (value !== undefined) out[key] = value as T[keyof T];
  }
  return out;
}

export function resolveConfig(partial: ConfigInput): CoreConfig {
  const config: CoreConfig = {
    host: partial.host ?? DEFAULT_HOST,
    port: partial.port ?? DEFAULT_PORT,
    dbPath: partial.dbPath,
    upstreams: { ...DEFAULT_UPSTREAMS, ...partial.upstreams },
    timeouts: withDefaults(DEFAULT_TIMEOUTS, partial.timeouts),
    limits: withDefaults(DEFAULT_LIMITS, partial.limits),
    checkpointMs: partial.checkpointMs ?? 200,
    retentionDays: partial.retentionDays ?? 0,
    retentionMaxMiB: partial.retentionMaxMiB ?? 0,
    maxRequestBytes: partial.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
  };
  if (!Number.isInteger(config.maxRequestBytes) || config.maxRequestBytes < 1024) {
    throw new ConfigError(`the maximum request size must be a whole number of bytes, at least 1024, got ${String(partial.maxRequestBytes)}`);
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be an integer from 0 to 65535, got ${String(partial.port)}`);
  }
  for (const key of ['retentionDays', 'retentionMaxMiB'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0) throw new ConfigError(`${key} must be a whole number, 0 or more, got ${String(config[key])}`);
  }
  for (const [name, url] of Object.entries(config.upstreams)) validateUpstream(name, url);
  for (const [key, value] of Object.entries(config.timeouts)) {
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`timeout ${key} must be a positive number of ms`);
  }
  return config;
}

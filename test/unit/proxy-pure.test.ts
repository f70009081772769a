import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { apiKindOf, resolveRoute, upstreamTarget } from '../../src-main/core/proxy/routing.js';
import {
  credentialFingerprint,
  forwardRequestHeaders,
  forwardResponseHeaders,
  redactHeaders,
  redactSecret,
  redactUrl,
} from '../../src-main/core/proxy/headers.js';
import { clientFromHeaders, clientLabel, parseUserAgent, sessionIdFromHeaders } from '../../src-main/core/proxy/client-info.js';
import { isLoopbackHost } from '../../src-main/core/proxy/security.js';
import { decodableAcceptEncoding } from '../../src-main/core/proxy/forwarder.js';
import { DEFAULT_UPSTREAMS, parseUpstreamSpec, resolveConfig, upstreamsFromEnv } from '../../src-main/core/config.js';
import { parseSettings, settingsToConfig } from '../../src-main/core/settings.js';

const OPENAI_CLIENT = { anthropicVersion: false };
const UPSTREAMS = { ...DEFAULT_UPSTREAMS, openrouter: 'https://openrouter.ai/api', ollama: 'http://127.0.0.1:11434' };

describe('routing', () => {
  it('sends /v1/messages and count_tokens to anthropic, keeping the query string', () => {
    const r = resolveRoute('/v1/messages?beta=true', UPSTREAMS, OPENAI_CLIENT);
    expect(r).toMatchObject({ ok: true, route: { upstream: 'anthropic', forwardPath: '/v1/messages?beta=true', api: 'messages' } });
    const c = resolveRoute('/v1/messages/count_tokens', UPSTREAMS, OPENAI_CLIENT);
    expect(c).toMatchObject({ ok: true, route: { upstream: 'anthropic', api: 'other' } });
  });

  it('sends any /v1 request carrying anthropic-version to anthropic, whatever its path', () => {
    const anthropicClient = { anthropicVersion: true };
    for (const path of ['/v1/models', '/v1/models/claude-sonnet-4-5', '/v1/files', '/v1/messages/batches', '/v1/complete', '/v1/messages/count_tokens']) {
      expect(resolveRoute(path, UPSTREAMS, anthropicClient)).toMatchObject({ ok: true, route: { upstream: 'anthropic', forwardPath: path } });
    }
    // A named upstream is the user's explicit choice: the header does not override it.
    expect(resolveRoute('/openrouter/v1/models', UPSTREAMS, anthropicClient)).toMatchObject({ ok: true, route: { upstream: 'openrouter' } });
  });

  it('sends every other /v1 path to openai', () => {
    expect(resolveRoute('/v1/chat/completions', UPSTREAMS, OPENAI_CLIENT)).toMatchObject({ ok: true, route: { upstream: 'openai', api: 'chat.completions' } });
    expect(resolveRoute('/v1/responses', UPSTREAMS, OPENAI_CLIENT)).toMatchObject({ ok: true, route: { upstream: 'openai', api: 'responses' } });
    expect(resolveRoute('/v1/models', UPSTREAMS, OPENAI_CLIENT)).toMatchObject({ ok: true, route: { upstream: 'openai', api: 'other' } });
    expect(resolveRoute('/v1/embeddings', UPSTREAMS, OPENAI_CLIENT)).toMatchObject({ ok: true, route: { api: 'embeddings' } });
  });

  it('routes /<name>/rest to the named upstream and joins the base path', () => {
    const r = resolveRoute('/openrouter/v1/chat/completions?x=1', UPSTREAMS, OPENAI_CLIENT);
    expect(r).toMatchObject({ ok: true, route: { upstream: 'openrouter', forwardPath: '/v1/chat/completions?x=1' } });
    if (!r.ok) throw new Error('unreachable');
    expect(upstreamTarget(r.route.baseUrl, r.route.forwardPath)).toEqual({ origin: 'https://openrouter.ai', path: '/api/v1/chat/completions?x=1' });
  });

  it('names the missing upstream and the configured ones', () => {
    const r = resolveRoute('/nope/v1/x', UPSTREAMS, OPENAI_CLIENT);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain('"nope"');
    expect(r.reason).toContain('openrouter');
  });

  it('does not treat Object prototype names as upstreams', () => {
    expect(resolveRoute('/constructor/x', UPSTREAMS, OPENAI_CLIENT).ok).toBe(false);
    expect(resolveRoute('/__proto__/x', UPSTREAMS, OPENAI_CLIENT).ok).toBe(false);
  });

  it('classifies API kinds by path tail', () => {
    expect(apiKindOf('/api/v1/chat/completions')).toBe('chat.completions');
    expect(apiKindOf('/v1/responses/')).toBe('responses');
    expect(apiKindOf('/v1/files')).toBe('other');
  });
});

describe('headers', () => {
  it('drops hop-by-hop headers and those named in Connection, keeps credentials for forwarding', () => {
    const out = forwardRequestHeaders({
      host: '127.0.0.1:7788',
      connection: 'keep-alive, x-custom-hop',
      'keep-alive': 'timeout=5',
      'x-custom-hop': '1',
      'transfer-encoding': 'chunked',
      authorization: 'Bearer sk-secret',
      'content-type': 'application/json',
    });
    expect(out).toEqual({ authorization: 'Bearer sk-secret', 'content-type': 'application/json' });
  });

  it('never passes CORS headers back to the client', () => {
    const out = forwardResponseHeaders({ 'access-control-allow-origin': '*', 'content-type': 'text/event-stream', connection: 'close' });
    expect(out).toEqual({ 'content-type': 'text/event-stream' });
  });

  it('redacts credentials to a recognisable but useless form', () => {
    expect(redactSecret('Bearer sk-proj-abcdefghijklmnop1234')).toBe('Bearer sk-…1234');
    expect(redactSecret('short')).toBe('…');
    const h = redactHeaders({
      authorization: 'Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz',
      'x-api-key': 'sk-ant-api03-zyxwvutsrqponmlkjihgfedcba',
      'api-key': 'azurekey0123456789abcdef',
      cookie: 'session=abcdefghijklmnopqrstuvwxyz',
      'user-agent': 'claude-cli/2.0.14',
    });
    expect(h['authorization']).toBe('Bearer sk-…wxyz');
    expect(h['x-api-key']).toBe('sk-…dcba');
    expect(h['api-key']).toBe('…cdef');
    expect(h['cookie']).not.toContain('abcdefghij');
    expect(h['user-agent']).toBe('claude-cli/2.0.14');
    expect(JSON.stringify(h)).not.toMatch(/abcdefghijklmnop/);
  });

  it('keeps rate-limit counts, which explain a 429, though their names mention tokens', () => {
    const h = redactHeaders({ 'x-ratelimit-remaining-tokens': '39000', 'anthropic-ratelimit-output-tokens-remaining': '8000' });
    expect(h).toEqual({ 'x-ratelimit-remaining-tokens': '39000', 'anthropic-ratelimit-output-tokens-remaining': '8000' });
  });

  it('redacts ?key= style query credentials and leaves other parameters', () => {
    expect(redactUrl('/v1beta/models?key=AIzaSyA-1234567890abcdefghij&alt=sse')).toBe('/v1beta/models?key=%E2%80%A6ghij&alt=sse');
    expect(redactUrl('/v1/messages?beta=true')).toBe('/v1/messages?beta=true');
  });

  it('fingerprints a credential without revealing it', () => {
    const a = credentialFingerprint({ authorization: 'Bearer sk-one' });
    const b = credentialFingerprint({ authorization: 'Bearer sk-two' });
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(credentialFingerprint({})).toBeNull();
  });

  it('only asks upstream for encodings the recorder can decode', () => {
    const out = decodableAcceptEncoding('gzip, deflate, br, zstd');
    expect(out).toContain('gzip');
    expect(out).toContain('br');
    const nodeDecodesZstd = typeof (zlib as unknown as Record<string, unknown>)['createZstdDecompress'] === 'function';
    if (nodeDecodesZstd) expect(out).toContain('zstd');
    else expect(out).not.toContain('zstd');
  });
});

describe('client info', () => {
  it.each([
    ['claude-cli/2.0.14 (external, cli)', 'Claude Code 2.0.14'],
    ['codex_cli_rs/0.50.0 (Mac OS 15.1.0; arm64) iTerm.app/3.5.10', 'Codex 0.50.0'],
    ['codex_exec/0.46.0 (Ubuntu 24.4.0; x86_64)', 'Codex 0.46.0'],
    ['opencode/0.15.2 ai-sdk/provider-utils/3.0.9', 'opencode 0.15.2'],
    ['OpenAI/JS 6.9.1', 'OpenAI/JS 6.9.1'],
    ['Anthropic/JS 0.65.0', 'Anthropic/JS 0.65.0'],
    ['OpenAI/Python 1.109.1', 'OpenAI/Python 1.109.1'],
    ['curl/8.5.0', 'curl 8.5.0'],
    ['mytool/1.2 (linux)', 'mytool 1.2'],
  ])('%s → %s', (ua, label) => {
    expect(clientLabel(parseUserAgent(ua))).toBe(label);
  });

  it('uses Codex originator when the UA is generic, in the same style as every Codex', () => {
    expect(clientLabel(clientFromHeaders({ 'user-agent': 'reqwest/0.12', originator: 'codex_exec' }))).toBe('Codex');
    expect(clientLabel(clientFromHeaders({ 'user-agent': 'codex_exec/0.169.0 (Debian 12)', originator: 'codex_exec' }))).toBe('Codex 0.169.0');
  });

  it('reads the session id each tool sends', () => {
    expect(sessionIdFromHeaders({ 'x-claude-code-session-id': 'cc-1' })).toBe('cc-1');
    expect(sessionIdFromHeaders({ 'session-id': 'codex-1' })).toBe('codex-1');
    expect(sessionIdFromHeaders({ 'x-session-id': 'oc-1' })).toBe('oc-1');
    expect(sessionIdFromHeaders({ 'x-codex-turn-metadata': JSON.stringify({ session_id: 'codex-2', turn: 3 }) })).toBe('codex-2');
    expect(sessionIdFromHeaders({ 'user-agent': 'curl/8' })).toBeNull();
  });
});

describe('door', () => {
  it('accepts loopback hosts only', () => {
    for (const h of ['127.0.0.1:7788', 'localhost', 'localhost:7788', '[::1]:7788', '127.0.0.2', 'app.localhost:7788']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['evil.com', 'evil.com:7788', '127.0.0.1.evil.com', '0.0.0.0', '', undefined]) expect(isLoopbackHost(h), String(h)).toBe(false);
  });
});

describe('config', () => {
  it('parses --upstream name=URL and rejects bad ones clearly', () => {
    expect(parseUpstreamSpec('ollama=http://127.0.0.1:11434/')).toEqual(['ollama', 'http://127.0.0.1:11434']);
    expect(() => parseUpstreamSpec('nourl')).toThrow(/name=URL/);
    expect(() => parseUpstreamSpec('x=ftp://a')).toThrow(/http and https/);
    expect(() => parseUpstreamSpec('v1=http://a')).toThrow(/reserved/);
  });

  it('refuses an upstream URL with a user name or password, never echoing them', () => {
    const attempts: (() => unknown)[] = [
      () => parseUpstreamSpec('corp=https://alice:hunter2@llm.example.com/v1'),
      () => parseUpstreamSpec('corp=https://alice@llm.example.com'),
      () => upstreamsFromEnv({ STREAMTAP_UPSTREAM_CORP: 'https://alice:hunter2@llm.example.com' }),
      () => resolveConfig({ dbPath: ':memory:', upstreams: { corp: 'https://alice:hunter2@llm.example.com' } }),
      () => parseSettings({ upstreams: { corp: 'https://alice:hunter2@llm.example.com' } }),
      () => parseUpstreamSpec('corp:https://alice:hunter2@llm.example.com'),
      () => parseUpstreamSpec('corp=https://alice:hunt er2@llm.example.com'),
    ];
    for (const attempt of attempts) {
      let message = '';
      try {
        attempt();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/alice|hunter2|hunt er2/);
    }
    expect(() => parseUpstreamSpec('corp=https://alice:hunter2@llm.example.com')).toThrow('https://…@llm.example.com carries a user name or password');
  });

  it('reads upstreams from the environment', () => {
    expect(upstreamsFromEnv({ STREAMTAP_UPSTREAM_OPENROUTER: 'https://openrouter.ai/api/' })).toEqual({ openrouter: 'https://openrouter.ai/api' });
  });

  it('keeps the default upstreams and validates the port', () => {
    const c = resolveConfig({ dbPath: 'x.db', upstreams: { ollama: 'http://127.0.0.1:11434' } });
    expect(c.upstreams['openai']).toBe('https://api.openai.com');
    expect(c.port).toBe(7788);
    expect(() => resolveConfig({ dbPath: 'x', port: 70000 })).toThrow(/port/);
  });

  it('reads the retention limits from the settings file, validated, with no limit by default', () => {
    expect(resolveConfig({ dbPath: 'x' })).toMatchObject({ retentionDays: 0, retentionMaxMiB: 0 });
    expect(settingsToConfig(parseSettings({ retentionDays: 30, retentionMaxMiB: 2048 }))).toEqual({ retentionDays: 30, retentionMaxMiB: 2048 });
    for (const bad of [-1, 1.5, '2048', null]) {
      expect(() => parseSettings({ retentionMaxMiB: bad }, 'settings.json'), JSON.stringify(bad)).toThrow(/^settings\.json: retentionMaxMiB: /);
    }
    expect(() => resolveConfig({ dbPath: 'x', retentionMaxMiB: -5 })).toThrow('retentionMaxMiB must be a whole number, 0 or more, got -5');
  });
});

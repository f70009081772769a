import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src-main/common/settings.js';
import { toForm, validateForm } from '../../src-renderer/lib/settings-form.js';
import { seenFor, toolSetups } from '../../src-renderer/lib/snippets.js';
import { exportUrl, extractToken } from '../../src-renderer/lib/token.js';

const SETTINGS: Settings = {
  port: 7788,
  upstreams: { openai: 'https://api.openai.com', anthropic: 'https://api.anthropic.com' },
  timeouts: { headersMs: 600_000, idleMs: 300_000, connectMs: 10_000 },
  limits: { requestBodyBytes: 4 * 1024 * 1024, responseBodyBytes: 2 * 1024 * 1024, textChars: 1_000_000, eventBytes: 8 * 1024 * 1024, eventCount: 20_000 },
  retentionDays: 30,
  retentionMaxMiB: 2048,
};

describe('settings form', () => {
  it('round-trips settings through the form in seconds and KiB', () => {
    const form = toForm(SETTINGS);
    expect(form.headersS).toBe('600');
    expect(form.requestBodyKiB).toBe('4096');
    const r = validateForm(form);
    expect(r).toEqual({ ok: true, value: SETTINGS });
  });

  it('names each bad field with a message in its own unit', () => {
    const r = validateForm({ ...toForm(SETTINGS), port: '70000', idleS: 'soon', requestBodyKiB: '0.5', retentionDays: '7.5', retentionMaxMiB: '-1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['idleS', 'port', 'requestBodyKiB', 'retentionDays', 'retentionMaxMiB']);
    expect(r.errors['retentionMaxMiB']).toMatch(/whole number of MiB, 0 sets no limit/);
    const half = validateForm({ ...toForm(SETTINGS), retentionMaxMiB: '1.5' });
    expect(half.ok || half.errors['retentionMaxMiB']).toMatch(/MiB/);
    expect(r.errors['port']).toMatch(/1 to 65535/);
    expect(r.errors['idleS']).toMatch(/seconds/);
    expect(r.errors['requestBodyKiB']).toMatch(/1 KiB/);
  });

  it('checks upstream rows: name syntax, reserved and duplicate names, URL scheme', () => {
    const form = toForm(SETTINGS);
    form.upstreams = [
      { name: 'openai', url: 'https://api.openai.com' },
      { name: 'bad name', url: 'https://x' },
      { name: 'v1', url: 'https://x' },
      { name: 'OpenAI', url: 'https://y' },
      { name: 'ftp', url: 'ftp://files' },
      { name: 'nourl', url: 'not a url' },
      { name: '', url: '' },
    ];
    const r = validateForm(form);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors['upstreams.1.name']).toMatch(/Letters, digits/);
    expect(r.errors['upstreams.2.name']).toMatch(/reserved/);
    expect(r.errors['upstreams.3.name']).toMatch(/twice/);
    expect(r.errors['upstreams.4.url']).toMatch(/http and https/);
    expect(r.errors['upstreams.5.url']).toMatch(/full URL/);
    expect(r.errors['upstreams.6.name']).toBeUndefined();
  });
});

describe('setup snippets', () => {
  const tools = toolSetups('http://127.0.0.1:7788/');

  it('points Codex at the base URL with a responses model provider', () => {
    const codex = tools.find((t) => t.id === 'codex')!;
    const toml = codex.blocks[0]!.code;
    expect(toml).toContain('model_provider = "streamtap"');
    expect(toml).toContain('[model_providers.streamtap]');
    expect(toml).toContain('base_url = "http://127.0.0.1:7788/v1"');
    expect(toml).toContain('env_key = "OPENAI_API_KEY"');
    expect(toml).toContain('wire_api = "responses"');
    // TOML: a root key after a table would belong to the table
    expect(toml.indexOf('model_provider =')).toBeLessThan(toml.indexOf('[model_providers.streamtap]'));
    expect(codex.notes.join(' ')).toMatch(/ignores OPENAI_BASE_URL/);
  });

  it('gives Claude Code and the Anthropic SDK the base URL without /v1, OpenAI-style tools with /v1', () => {
    expect(tools.find((t) => t.id === 'claude-code')!.blocks[0]!.code).toContain('export ANTHROPIC_BASE_URL=http://127.0.0.1:7788\n');
    expect(tools.find((t) => t.id === 'anthropic-sdk')!.blocks.map((b) => b.code).join('\n')).not.toContain('/v1');
    expect(tools.find((t) => t.id === 'openai-sdk')!.blocks.map((b) => b.code).join('\n')).toContain("baseURL: 'http://127.0.0.1:7788/v1'");
    expect(JSON.parse(tools.find((t) => t.id === 'opencode')!.blocks[0]!.code).provider.anthropic.options.baseURL).toBe('http://127.0.0.1:7788/v1');
  });

  it('says plainly that Cursor cannot be recorded by a local proxy', () => {
    const cursor = tools.find((t) => t.id === 'cursor')!;
    expect(cursor.supported).toBe(false);
    expect(cursor.notes.join(' ')).toMatch(/Cursor’s servers/);
  });

  it('marks a tool as seen from client labels with versions', () => {
    const claude = tools.find((t) => t.id === 'claude-code')!;
    expect(seenFor(claude, [{ client: 'Claude Code 2.0.14', lastSeen: 5 }, { client: 'Claude Code', lastSeen: 9 }])).toBe(9);
    expect(seenFor(claude, [{ client: 'Claude Coder', lastSeen: 5 }])).toBeNull();
    expect(seenFor(tools.find((t) => t.id === 'codex')!, [{ client: 'codex_exec 0.46.0', lastSeen: 3 }])).toBe(3);
  });
});

describe('dashboard token', () => {
  it('takes the token out of the address and keeps the rest', () => {
    expect(extractToken('http://127.0.0.1:7788/__streamtap/?token=abc&x=1#h')).toEqual({ token: 'abc', cleanedUrl: '/__streamtap/?x=1#h' });
    expect(extractToken('http://127.0.0.1:7788/__streamtap/?token=abc')).toEqual({ token: 'abc', cleanedUrl: '/__streamtap/' });
    expect(extractToken('http://127.0.0.1:7788/__streamtap/')).toEqual({ token: null, cleanedUrl: null });
  });

  it('builds the export download URL with the filter as JSON', () => {
    const url = new URL(exportUrl({ format: 'jsonl', filter: { outcome: ['timeout'] }, token: 't', exportId: 'e1' }), 'http://h');
    expect(url.pathname).toBe('/__streamtap/api/export');
    expect(url.searchParams.get('format')).toBe('jsonl');
    expect(JSON.parse(url.searchParams.get('filter')!)).toEqual({ outcome: ['timeout'] });
    expect(url.searchParams.get('token')).toBe('t');
  });
});

import { describe, expect, it } from 'vitest';
import { toCurl } from '../../src-renderer/lib/curl.js';
import { latestPrompt, parseRequestBody, splitReminders } from '../../src-renderer/lib/messages.js';
import { axisTicks, timingModel } from '../../src-renderer/lib/timing.js';
import { recordFixture } from './renderer-fixtures.js';

const body = (v: unknown, truncated = false) => {
  const text = JSON.stringify(v);
  return { text, bytes: text.length, truncated };
};

describe('parseRequestBody', () => {
  it('reads a chat completions request: roles, tool calls, tool results, parameters', () => {
    const p = parseRequestBody(
      'chat.completions',
      body({
        model: 'gpt-4.1',
        stream: true,
        temperature: 0.2,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } }] },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{"p":1}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'file text' },
        ],
        tools: [{ type: 'function', function: { name: 'read', description: 'Read a file', parameters: { type: 'object' } } }],
      }),
    );
    expect(p.problem).toBeNull();
    expect(p.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(p.messages[1]!.parts).toEqual([{ kind: 'text', text: 'hi' }, { kind: 'image', note: 'image' }]);
    expect(p.messages[2]!.parts).toEqual([{ kind: 'tool_call', id: 'c1', name: 'read', args: '{"p":1}' }]);
    expect(p.messages[3]!.parts).toEqual([{ kind: 'tool_result', id: 'c1', text: 'file text', isError: false }]);
    expect(p.tools).toEqual([{ name: 'read', description: 'Read a file', schema: JSON.stringify({ type: 'object' }, null, 2) }]);
    expect(Object.fromEntries(p.params)).toEqual({ model: 'gpt-4.1', stream: 'true', temperature: '0.2' });
  });

  it('reads a responses request: instructions as the system prompt, input items', () => {
    const p = parseRequestBody(
      'responses',
      body({
        model: 'gpt-5-codex',
        instructions: 'You are Codex.',
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run tests' }] },
          { type: 'function_call', name: 'shell', arguments: '{"cmd":"npm test"}', call_id: 'fc1' },
          { type: 'function_call_output', call_id: 'fc1', output: 'ok' },
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
        ],
        tools: [{ type: 'function', name: 'shell', description: 'Run a command', parameters: {} }],
      }),
    );
    expect(p.system).toBe('You are Codex.');
    expect(p.messages.map((m) => [m.role, m.parts[0]!.kind])).toEqual([
      ['user', 'text'],
      ['assistant', 'tool_call'],
      ['tool', 'tool_result'],
      ['assistant', 'reasoning'],
    ]);
    expect(p.tools[0]!.name).toBe('shell');
    expect(parseRequestBody('responses', body({ input: 'just text' })).messages).toEqual([{ role: 'user', parts: [{ kind: 'text', text: 'just text' }] }]);
  });

  it('reads an Anthropic messages request: system blocks, tool_use, tool_result, thinking', () => {
    const p = parseRequestBody(
      'messages',
      body({
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        system: [{ type: 'text', text: 'You are Claude Code.' }],
        messages: [
          { role: 'user', content: 'fix it' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm' },
              { type: 'tool_use', id: 'tu1', name: 'Edit', input: { file: 'a.ts' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: [{ type: 'text', text: 'done' }], is_error: true }] },
        ],
        tools: [{ name: 'Edit', description: 'Edit a file', input_schema: { type: 'object' } }],
      }),
    );
    expect(p.system).toBe('You are Claude Code.');
    expect(p.messages[1]!.parts.map((x) => x.kind)).toEqual(['reasoning', 'tool_call']);
    expect(p.messages[2]!.parts[0]).toEqual({ kind: 'tool_result', id: 'tu1', text: 'done', isError: true });
    expect(p.tools[0]).toMatchObject({ name: 'Edit', description: 'Edit a file' });
    expect(Object.fromEntries(p.params)).toEqual({ model: 'claude-sonnet-4-5', max_tokens: '1024' });
  });

  it('explains a body cut at the capture limit instead of failing', () => {
    const p = parseRequestBody('messages', { text: '{"model":"x","messages":[{"role":"us', bytes: 900_000, truncated: true });
    expect(p.messages).toEqual([]);
    expect(p.problem).toMatch(/capture limit/);
  });
});

describe('toCurl', () => {
  const rec = recordFixture({
    method: 'POST',
    path: '/v1/messages',
    upstream: 'anthropic',
    api: 'messages',
    stream: true,
    requestHeaders: {
      'x-api-key': 'sk-ant-…wxyz',
      authorization: 'Bearer sk-…abcd',
      cookie: 'a=b',
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      host: '127.0.0.1:7788',
      'content-length': '99',
    },
    requestBody: body({ model: 'claude', messages: [{ role: 'user', content: "it's" }] }),
  });

  it('replays through Streamtap without any credential, with a placeholder for the key', () => {
    const cmd = toCurl(rec, 'http://127.0.0.1:7788/');
    expect(cmd).toContain("curl -N -X POST 'http://127.0.0.1:7788/v1/messages'");
    expect(cmd).not.toMatch(/sk-ant|sk-…|Bearer sk|a=b/);
    expect(cmd).toContain('-H "x-api-key: $ANTHROPIC_API_KEY"');
    expect(cmd).toContain("-H 'anthropic-version: 2023-06-01'");
    expect(cmd).not.toMatch(/host:|content-length:/);
    // the body is single-quoted with the apostrophe escaped for the shell
    expect(cmd).toContain(`--data-raw '{"model":"claude","messages":[{"role":"user","content":"it'\\''s"}]}'`);
  });

  it('uses a bearer placeholder for OpenAI and for named upstreams', () => {
    const openai = toCurl({ ...rec, upstream: 'openai', api: 'chat.completions', path: '/v1/chat/completions' }, 'http://127.0.0.1:7788');
    expect(openai).toContain('-H "Authorization: Bearer $OPENAI_API_KEY"');
    const other = toCurl({ ...rec, upstream: 'openrouter', api: 'chat.completions', path: '/openrouter/api/v1/chat/completions' }, 'http://127.0.0.1:7788');
    expect(other).toContain('-H "Authorization: Bearer $OPENROUTER_API_KEY"');
  });

  it('adds no placeholder when the client sent no credential', () => {
    const cmd = toCurl({ ...rec, requestHeaders: { 'content-type': 'application/json' } }, 'http://127.0.0.1:7788');
    expect(cmd).not.toMatch(/API_KEY/);
  });
});

describe('timingModel', () => {
  it('finds the silence before the end as the longest gap of a stream that went quiet', () => {
    const events = [{ t: 900 }, { t: 1000 }, { t: 1100 }, { t: 1200 }];
    const m = timingModel(events, { firstByteMs: 300, ttftMs: 900, lastEventMs: 1200, durationMs: 31_200 }, { bucketCount: 100 });
    expect(m.endMs).toBe(31_200);
    expect(m.longestGap).toEqual({ fromMs: 1200, toMs: 31_200, where: 'end' });
    expect(m.buckets.reduce((a, b) => a + b, 0)).toBe(4);
    expect(m.maxBucket).toBeGreaterThanOrEqual(1);
  });

  it('finds a stall between two events', () => {
    const m = timingModel([{ t: 100 }, { t: 200 }, { t: 9_000 }, { t: 9_100 }], { firstByteMs: 50, ttftMs: 100, lastEventMs: 9_100, durationMs: 9_150 });
    expect(m.longestGap).toEqual({ fromMs: 200, toMs: 9_000, where: 'stream' });
  });

  it('uses the live offset for a request still in flight', () => {
    const m = timingModel([], { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null }, { nowOffsetMs: 5_000 });
    expect(m.endMs).toBe(5_000);
    expect(m.longestGap).toEqual({ fromMs: 0, toMs: 5_000, where: 'start' });
  });

  it('picks round axis ticks', () => {
    expect(axisTicks(10_000, 5)).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
    expect(axisTicks(0)).toEqual([0]);
  });
});

describe('timingModel gaps after the first token', () => {
  it('does not call the wait for the first token a stall', () => {
    const events = [{ t: 3 }, { t: 903 }, { t: 1000 }, { t: 1100 }];
    const timings = { firstByteMs: 3, ttftMs: 903, lastEventMs: 1100, durationMs: 1150 };
    expect(timingModel(events, timings).longestGap).toMatchObject({ fromMs: 3, toMs: 903 });
    expect(timingModel(events, timings, { gapsFromMs: 903 }).longestGap).toEqual({ fromMs: 1000, toMs: 1100, where: 'stream' });
  });
});

describe('the latest prompt', () => {
  it("finds what the user typed under Claude Code's reminders and tool results", () => {
    const p = parseRequestBody(
      'messages',
      body({
        model: 'claude-sonnet-4-5',
        system: [{ type: 'text', text: 'You are Claude Code.' }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: '<system-reminder>\nCLAUDE.md says…\n</system-reminder>' }, { type: 'text', text: 'Fix the parser bug' }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { path: 'a.ts' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'file text' }, { type: 'text', text: '<system-reminder>todo list is empty</system-reminder>' }] },
        ],
      }),
    );
    expect(latestPrompt(p)).toEqual({ index: 0, text: 'Fix the parser bug', reminders: ['CLAUDE.md says…'], toolResults: 0, after: 2 });
    expect(splitReminders('a <system-reminder>x</system-reminder> b')).toEqual({ text: 'a  b', reminders: ['x'] });
    expect(latestPrompt(parseRequestBody('chat.completions', body({ messages: [{ role: 'system', content: 'x' }] })))).toBeNull();
  });
});

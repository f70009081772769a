// What a request body says about its turn and its conversation: the raw top-level scan
// the fingerprint hashes, the fingerprint itself (alike across a turn's attempts,
// different across turns), continuity hashes, and the prompts the user typed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topLevelMembers } from '../../src-main/core/sessions/json-scan.js';
import { readConversation, typedText } from '../../src-main/core/sessions/conversation.js';
import type { ApiKind } from '../../src-main/common/record.js';

function read(api: ApiKind, body: unknown, path = '/v1/messages', method = 'POST') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return readConversation({ api, method, path }, Buffer.from(text), json);
}

describe('topLevelMembers', () => {
  it('finds every top-level value at the bytes that parse to it, compact or pretty-printed', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (obj, pretty) => {
        const text = pretty ? JSON.stringify(obj, null, 2) : JSON.stringify(obj);
        const buf = Buffer.from(text);
        const members = topLevelMembers(buf);
        expect(members).not.toBeNull();
        const parsed = JSON.parse(text) as Record<string, unknown>;
        // keys with escapes are kept as written; compare the ones JSON writes plainly
        const plain = Object.keys(parsed).filter((k) => JSON.stringify(k) === `"${k}"`);
        for (const key of plain) {
          const [s, e] = members!.get(key)!;
          expect(JSON.parse(buf.toString('utf8', s, e))).toEqual(parsed[key]);
        }
        expect(members!.size).toBe(Object.keys(parsed).length);
      }),
      { numRuns: 300 },
    );
  });

  it('follows strings with escaped quotes and backslashes, and multi-byte text', () => {
    const text = '{"a":"say \\"hi\\" \\\\","b":[{"c":"}]"}],"d":"🚀 流","e":-1.5e3,"f":null}';
    const m = topLevelMembers(Buffer.from(text))!;
    const buf = Buffer.from(text);
    expect(JSON.parse(buf.toString('utf8', ...m.get('a')!))).toBe('say "hi" \\');
    expect(JSON.parse(buf.toString('utf8', ...m.get('b')!))).toEqual([{ c: '}]' }]);
    expect(JSON.parse(buf.toString('utf8', ...m.get('d')!))).toBe('🚀 流');
    expect(JSON.parse(buf.toString('utf8', ...m.get('e')!))).toBe(-1500);
    expect(JSON.parse(buf.toString('utf8', ...m.get('f')!))).toBeNull();
  });

  it('answers null for anything but an object', () => {
    for (const text of ['[1,2]', '"x"', '42', '', 'not json', '{"a":']) expect(topLevelMembers(Buffer.from(text))).toBeNull();
    expect(topLevelMembers(Buffer.from(' { } '))?.size).toBe(0);
  });
});

const claudeBody = {
  model: 'claude-sonnet-4-5',
  max_tokens: 32000,
  stream: true,
  metadata: { user_id: 'user_abc' },
  system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
  tools: [{ name: 'Read', input_schema: { type: 'object' } }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>\nAs you answer, use the context below.\n</system-reminder>' },
        { type: 'text', text: 'fix the flaky test in store.test.ts', cache_control: { type: 'ephemeral' } },
      ],
    },
  ],
};

describe('the turn fingerprint', () => {
  it('is the same for a stream and its non-streaming retry with a lower max_tokens (Claude Code)', () => {
    const { stream: _stream, ...rest } = claudeBody;
    const a = read('messages', claudeBody);
    const b = read('messages', { ...rest, max_tokens: 21333 });
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('ignores stream_options, metadata and key order outside the turn members (SDK retries)', () => {
    const body = { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } };
    const a = read('chat.completions', body, '/v1/chat/completions');
    const b = read('chat.completions', { stream: false, model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 }, '/v1/chat/completions');
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('differs when the model, the messages, the system prompt, the tools, the path or the API differ', () => {
    const base = read('messages', claudeBody).fingerprint;
    expect(read('messages', { ...claudeBody, model: 'claude-haiku-4-5' }).fingerprint).not.toBe(base);
    expect(read('messages', { ...claudeBody, messages: [...claudeBody.messages, { role: 'assistant', content: 'ok' }] }).fingerprint).not.toBe(base);
    expect(read('messages', { ...claudeBody, system: 'Another prompt' }).fingerprint).not.toBe(base);
    expect(read('messages', { ...claudeBody, tools: [] }).fingerprint).not.toBe(base);
    expect(read('messages', claudeBody, '/v1/messages?beta=true').fingerprint).not.toBe(base);
    expect(read('other', claudeBody).fingerprint).not.toBe(base);
  });

  it('covers a Responses input and its instructions (Codex)', () => {
    const body = { model: 'gpt-5-codex', instructions: 'You are Codex.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true, include: ['reasoning.encrypted_content'], prompt_cache_key: 'abc' };
    const a = read('responses', body, '/v1/responses');
    expect(read('responses', { ...body, prompt_cache_key: 'def' }, '/v1/responses').fingerprint).toBe(a.fingerprint);
    expect(read('responses', { ...body, instructions: 'Other.' }, '/v1/responses').fingerprint).not.toBe(a.fingerprint);
  });

  it('hashes other requests by everything but the stream flags, and bodiless or non-JSON ones by what there is', () => {
    const e = read('embeddings', { model: 'text-embedding-3-small', input: ['a'] }, '/v1/embeddings');
    expect(read('embeddings', { input: ['a'], model: 'text-embedding-3-small', stream: false }, '/v1/embeddings').fingerprint).toBe(e.fingerprint);
    expect(read('embeddings', { model: 'text-embedding-3-small', input: ['b'] }, '/v1/embeddings').fingerprint).not.toBe(e.fingerprint);
    expect(e.facts).toBeNull();
    const models = readConversation({ api: 'other', method: 'GET', path: '/v1/models' }, null, null);
    expect(readConversation({ api: 'other', method: 'GET', path: '/v1/models' }, null, null).fingerprint).toBe(models.fingerprint);
    expect(read('other', 'plain text body', '/x').fingerprint).not.toBe(read('other', 'other text', '/x').fingerprint);
  });
});

describe('conversation facts', () => {
  it('count the messages and hash the last one without its cache_control marker', () => {
    const a = read('messages', claudeBody);
    expect(a.facts).toMatchObject({ messages: 1 });
    // The next turn re-sends the message with the marker moved to the newest message.
    const next = {
      ...claudeBody,
      messages: [
        { role: 'user', content: [claudeBody.messages[0]!.content[0], { type: 'text', text: 'fix the flaky test in store.test.ts' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', cache_control: { type: 'ephemeral' } }] },
      ],
    };
    const b = read('messages', next);
    expect(b.messageHash(0)).toBe(a.facts!.tailHash);
    expect(b.facts!.messages).toBe(3);
    expect(b.messageHash(3)).toBeNull();
  });

  it('take the prompts the user typed: not the system prompt, injected reminders or tool results', () => {
    const next = {
      ...claudeBody,
      messages: [
        ...claudeBody.messages,
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'file text' }] },
        { role: 'assistant', content: 'Done.' },
        { role: 'user', content: [{ type: 'text', text: 'now run   the\nsuite' }, { type: 'text', text: '<system-reminder>todo list is empty</system-reminder>' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'Bash', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'passed' }] },
      ],
    };
    expect(read('messages', next).facts).toMatchObject({ firstPrompt: 'fix the flaky test in store.test.ts', prompt: 'now run the suite' });
    const chat = { model: 'gpt-5', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: [{ type: 'text', text: 'summarise this' }, { type: 'image_url', image_url: { url: 'x' } }] }] };
    expect(read('chat.completions', chat, '/v1/chat/completions').facts).toMatchObject({ firstPrompt: 'summarise this', prompt: 'summarise this' });
  });

  it('skip what Codex writes in the user role, and read a plain-string Responses input', () => {
    const body = {
      model: 'gpt-5-codex',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '# AGENTS.md instructions for /repo\n\n<INSTRUCTIONS>be nice</INSTRUCTIONS>' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'add a --json flag' }] },
        { type: 'function_call', name: 'shell', arguments: '{}', call_id: 'c1' },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ],
    };
    expect(read('responses', body, '/v1/responses').facts).toMatchObject({ messages: 5, firstPrompt: 'add a --json flag', prompt: 'add a --json flag' });
    expect(read('responses', { model: 'gpt-5', input: 'hello there' }, '/v1/responses').facts).toMatchObject({ messages: 1, firstPrompt: 'hello there' });
  });

  it('are null for a conversation API body without messages', () => {
    expect(read('messages', { model: 'x', messages: [] }).facts).toBeNull();
    expect(read('chat.completions', 'not json', '/v1/chat/completions').facts).toBeNull();
  });
});

describe('typedText', () => {
  it('keeps what is left outside injected tags, collapsed, cut on a character boundary', () => {
    expect(typedText('<command-name>/clear</command-name>\n<command-message>clear</command-message>')).toBeNull();
    expect(typedText('Caveat: The messages below were generated by the user while running local commands. DO NOT respond')).toBeNull();
    expect(typedText('  please <system-reminder>x</system-reminder> fix  it ')).toBe('please fix it');
    expect(typedText('why is <b>bold</b> <div>so</div> slow')).toBe('why is <b>bold</b> <div>so</div> slow');
    const long = typedText('🚀'.repeat(400))!;
    expect(long.endsWith('…')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(300);
    expect(/[\ud800-\udbff]…$/.test(long)).toBe(false);
  });
});

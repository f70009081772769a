// Request bodies as the official SDKs serialize them, through the proxy and back out of
// the store byte for byte, while the turns of one conversation share their stored parts
// (core/db/request-segments.ts): Claude Code and Codex with their tools' retry logic
// (test/fixtures/agent-tools.ts), and an opencode-style chat-completions loop on the
// OpenAI SDK.

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src-main/core/db/store.js';
import { claudeCode, claudeCodeTurn, codex, codexTurn } from '../fixtures/agent-tools.js';
import { SECRET_ANTHROPIC_KEY, SECRET_OPENAI_KEY, startHarness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const TURNS = 4;
const LONG = 'Résumé 流式 🚀 "quoted" \\ back\tslash\n'.repeat(40);

/** Every record's body equals what the provider received, read through get() and through a second (read-only) store's export iteration. */
async function expectBodiesAsSent(h: Harness, n: number): Promise<void> {
  // what another connection reads is what was committed
  expect(await h.engine.store.written()).toBe(true);
  const sent = h.fake.requests.map((r) => r.body);
  expect(sent).toHaveLength(n);
  const reader = openStore({ path: h.dbPath, readOnly: true });
  try {
    const stored = [...reader.iterate({})].map((r) => r.requestBody.text);
    expect(stored).toHaveLength(n);
    for (let i = 0; i < n; i++) expect(stored[i] === sent[i], `request ${i}`).toBe(true);
  } finally {
    reader.close();
  }
  const db = new Database(h.dbPath, { readonly: true });
  try {
    const segmentChars = db.prepare('select coalesce(sum(length(text)), 0) from request_segment_texts').pluck().get() as number;
    const sentChars = sent.reduce((a, b) => a + b.length, 0);
    // the turns repeat each other: their shared parts are stored once
    expect(segmentChars).toBeLessThan(sentChars * 0.6);
  } finally {
    db.close();
  }
}

describe('request bodies from the SDKs', () => {
  it("come back byte for byte over a Claude Code conversation, which shares its stored parts", async () => {
    h = await startHarness();
    const { client } = claudeCode(h.url, SECRET_ANTHROPIC_KEY);
    const messages: { role: 'user' | 'assistant'; content: string | { type: 'text'; text: string }[] }[] = [{ role: 'user', content: [{ type: 'text', text: `<system-reminder>\n${LONG}</system-reminder>` }, { type: 'text', text: 'fix the loader' }] }];
    for (let t = 0; t < TURNS; t++) {
      const got = await claudeCodeTurn(client, {
        model: 'claude-haiku-4-5',
        max_tokens: 32_000,
        system: [{ type: 'text', text: `You are Claude Code. ${LONG}`, cache_control: { type: 'ephemeral' } }],
        tools: [{ name: 'Read', description: `Reads a file. ${LONG}`, input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } }],
        messages,
      });
      expect(got.error).toBeNull();
      messages.push({ role: 'assistant', content: got.text ?? '' }, { role: 'user', content: `turn ${t}: ${LONG}` });
    }
    await h.waitForFinished(TURNS);
    await expectBodiesAsSent(h, TURNS);
  });

  it('come back byte for byte over a Codex conversation and an opencode-style chat loop', async () => {
    h = await startHarness();
    const { client } = codex(`${h.url}/v1`, SECRET_OPENAI_KEY);
    const input: Parameters<typeof codexTurn>[3] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `<environment_context>${LONG}</environment_context>` }] }];
    for (let t = 0; t < TURNS; t++) {
      const got = await codexTurn(client, 'gpt-5-codex', `You are Codex. ${LONG}`, input);
      expect(got.error).toBeNull();
      input.push({ type: 'message', role: 'assistant', content: got.text ?? '' }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: `turn ${t}: ${LONG}` }] });
    }
    const openai = h.openai();
    const chat: { role: 'system' | 'user' | 'assistant'; content: string }[] = [{ role: 'system', content: `You are opencode. ${LONG}` }, { role: 'user', content: 'why does load() throw?' }];
    for (let t = 0; t < TURNS; t++) {
      const stream = await openai.chat.completions.create({
        model: 'qwen3-coder',
        messages: chat,
        tools: [{ type: 'function', function: { name: 'read', description: `Reads a file. ${LONG}`, parameters: { type: 'object', properties: { filePath: { type: 'string' } } } } }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      chat.push({ role: 'assistant', content: text }, { role: 'user', content: `turn ${t}: ${LONG}` });
    }
    await h.waitForFinished(2 * TURNS);
    await expectBodiesAsSent(h, 2 * TURNS);
  });
});

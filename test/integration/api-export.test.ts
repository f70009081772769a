// The core's export is an async iterable of its bytes (api.export): the CLI, the
// download and the save dialog differ only in where they write them. What it yields is
// the whole export of the records recorded before the call; breaking off stops it.

import { afterEach, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

it('yields the export of every record recorded before the call, and its count', async () => {
  h = await startHarness();
  for (let i = 0; i < 3; i++) await h.openai().chat.completions.create({ model: `gpt-${i}`, messages: [{ role: 'user', content: `hi ${i}` }] });
  await h.waitForFinished(3);
  const run = h.core.api.export({ filter: {}, format: 'jsonl' });
  const chunks: Buffer[] = [];
  for await (const chunk of run) chunks.push(chunk);
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  expect(lines.map((l) => (JSON.parse(l) as { model: string }).model)).toEqual(['gpt-0', 'gpt-1', 'gpt-2']);
  expect(await run.count).toBe(3);
});

it('stops when the reader breaks off, and says so through its count', async () => {
  h = await startHarness();
  // Enough records that the export is not written in one chunk.
  for (let i = 0; i < 40; i++) await h.openai().chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: `${i} ${'x'.repeat(8_000)}` }] });
  await h.waitForFinished(40);
  const run = h.core.api.export({ filter: {}, format: 'json' });
  let read = 0;
  for await (const chunk of run) {
    read += chunk.length;
    break;
  }
  expect(read).toBeGreaterThan(0);
  await expect(run.count).rejects.toThrow();
});

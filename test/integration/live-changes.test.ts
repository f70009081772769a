// Live changes reach a listener that subscribes while a stream is already running
// (a dashboard opened or reloaded mid-stream), and nothing is built for nobody.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { resolveConfig } from '../../src-main/core/config.js';
import { createCore } from '../../src-main/core/create-core.js';
import type { RecordChange } from '../../src-main/core/recorder/recording.js';
import { startFakeUpstream, scenarioHeader } from '../fixtures/fake-upstream.js';

it('a listener subscribing mid-stream gets the progress and the end of that stream', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-live-'));
  const fake = await startFakeUpstream();
  const core = createCore(resolveConfig({ dbPath: path.join(dir, 'l.db'), port: 0, checkpointMs: 50, upstreams: { openai: fake.url, anthropic: fake.url } }));
  try {
    const { url } = await core.start();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 12, chunkDelayMs: 40 }) },
      body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the stream is running, nobody listens yet
    const seen: RecordChange[] = [];
    const finished = new Promise<void>((resolve) =>
      core.onChange((c) => {
        seen.push(c);
        if (c.type === 'finished') resolve();
      }),
    );
    while (!(await reader.read()).done) {
      // drain
    }
    await finished;
    expect(seen.some((c) => c.type === 'progress')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ type: 'finished', summary: { outcome: 'completed' } });
  } finally {
    await core.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

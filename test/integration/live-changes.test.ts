// Live changes reach a listener that subscribes while a stream is already running
// (a dashboard opened or reloaded mid-stream), and nothing is built for nobody; their
// sequence numbers and requests.list's let a page apply each change exactly once.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { resolveConfig } from '../../src-main/core/config.js';
import { createCore } from '../../src-main/core/create-core.js';
import type { LiveRecordChange } from '../../src-main/common/contract.js';
import { startFakeUpstream, scenarioHeader } from '../fixtures/fake-upstream.js';
import { openStream } from '../fixtures/streams.js';
import { waitUntil } from '../fixtures/wait.js';

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
    const seen: LiveRecordChange[] = [];
    const finished = new Promise<void>((resolve) =>
      core.live.subscribe(
        (ev) => {
          if (ev.type !== 'records') return;
          seen.push(...ev.changes);
          if (ev.changes.some((c) => c.kind === 'finished')) resolve();
        },
        { intervalMs: 0 },
      ),
    );
    while (!(await reader.read()).done) {
      // drain
    }
    await finished;
    expect(seen.some((c) => c.kind === 'progress')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ kind: 'finished', summary: { outcome: 'completed' } });
  } finally {
    await core.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('requests.list answers with the seq it reflects: every change up to it is in the list, every later one comes after it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-seq-'));
  const fake = await startFakeUpstream();
  const core = createCore(resolveConfig({ dbPath: path.join(dir, 's.db'), port: 0, checkpointMs: 20, upstreams: { openai: fake.url, anthropic: fake.url } }));
  try {
    const { url } = await core.start();
    const seen: LiveRecordChange[] = [];
    let finishedSeen: (() => void) | null = null;
    core.live.subscribe(
      (ev) => {
        if (ev.type !== 'records') return;
        // An event's seq is the latest of its changes'.
        expect(ev.seq).toBe(Math.max(...ev.changes.map((c) => c.seq)));
        seen.push(...ev.changes);
        if (ev.changes.some((c) => c.kind === 'finished')) finishedSeen?.();
      },
      { intervalMs: 0 },
    );
    const stream = await openStream(url, { chunks: 6, stallAfterEvents: 3, stallUntil: 'seq' });
    await fake.waitForStall('seq');
    await waitUntil('the start to be pushed', () => seen.length > 0);
    const pushedBefore = Math.max(...seen.map((c) => c.seq));
    const mid = await core.api['requests.list']({ filter: {}, limit: 10 });
    // The list reflects everything pushed before it was asked for: the row is there, in progress.
    expect(mid.seq).toBeGreaterThanOrEqual(pushedBefore);
    expect(mid.records).toMatchObject([{ outcome: 'in_progress' }]);
    const finished = new Promise<void>((resolve) => (finishedSeen = resolve));
    fake.release('seq');
    await stream.rest;
    await finished;
    // The finish came after that list, so its seq is larger: a page applies it once.
    const last = seen.at(-1)!;
    expect(last.kind).toBe('finished');
    expect(last.seq).toBeGreaterThan(mid.seq);
    const after = await core.api['requests.list']({ filter: {}, limit: 10 });
    expect(after.seq).toBeGreaterThanOrEqual(last.seq);
    expect(after.records).toMatchObject([{ outcome: 'completed' }]);
    // Seqs only grow.
    expect(seen.map((c) => c.seq)).toEqual([...seen.map((c) => c.seq)].sort((a, b) => a - b));
  } finally {
    await core.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Main-thread time of recording one 200-chunk chat stream, alone (no proxy, no store):
// the recorder before the hot path (test/fixtures/recording-reference.ts) against
// today's, interleaved, µs per stream, median of many runs. `npx tsx bench/recorder-cpu.ts [runs]`
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIMITS } from '../src-main/core/config.js';
import { Recording } from '../src-main/core/recorder/recording.js';
import { ReferenceRecording } from '../test/fixtures/recording-reference.js';
import { throughputStream } from './workloads.js';

const runs = Number(process.argv[2] ?? 3000);
const s = throughputStream();
const chunks = [s.opening, ...s.deltas, s.closing].map((c) => Buffer.from(c));

async function once(Impl: typeof Recording | typeof ReferenceRecording, checkpointEvery: number): Promise<number> {
  const rec = new Impl(
    { insert: () => {}, update: () => {} },
    DEFAULT_LIMITS,
    { wanted: () => true, emit: () => {} },
    {
      id: 'r', startedAt: Date.now(), t0: performance.now(), client: null, clientVersion: null, userAgent: null, sessionId: null,
      credentialFingerprint: null, upstream: 'openai', upstreamUrl: 'http://127.0.0.1:1/v1/chat/completions', api: 'chat.completions',
      method: 'POST', path: '/v1/chat/completions', retryCount: null, requestHeaders: {},
    },
  );
  const t = performance.now();
  rec.start();
  rec.responseStarted(200, {}, 'text/event-stream', '');
  for (let i = 0; i < chunks.length; i++) {
    rec.chunkForwarded(chunks[i]!);
    if (checkpointEvery > 0 && i % checkpointEvery === checkpointEvery - 1) rec.checkpoint();
  }
  await rec.finish({ kind: 'upstream_end' });
  return Math.round((performance.now() - t) * 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const impls = { old: ReferenceRecording, new: Recording } as const;
for (const every of [0, 50]) {
  const xs: Record<string, number[]> = { old: [], new: [] };
  // Interleaved, so both see the same machine load.
  for (let i = 0; i < runs; i++) for (const [name, Impl] of Object.entries(impls)) xs[name]!.push(await once(Impl, every));
  for (const name of Object.keys(impls)) {
    console.log(`${name}, checkpoint ${every ? `every ${every} chunks` : 'never'}: median ${median(xs[name]!.slice(runs / 3))} µs per stream`);
  }
}

// Main-thread time of recording one 200-chunk stream, alone (no proxy, no store): the
// recorder before the hot path (test/fixtures/recording-reference.ts: every event
// assembled as it came, every event parsed) against today's, interleaved so both see
// the same machine load; µs per stream, median of the runs after the first third.
//
//   npx tsx bench/recorder-cpu.ts [runs]      (default 3000 per side and case)
import { performance } from 'node:perf_hooks';
import type { ApiKind } from '../src-main/common/record.js';
import { DEFAULT_LIMITS } from '../src-main/core/config.js';
import { Recording } from '../src-main/core/recorder/recording.js';
import { ReferenceRecording } from '../test/fixtures/recording-reference.js';
import { THROUGHPUT_CHUNKS, throughputStream } from './workloads.js';

const runs = Number(process.argv[2] ?? 3000);

const chat = throughputStream();
/** The throughput workload's text as Claude streams it. */
const messages = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":24,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  ...chat.deltas.map((d) => {
    const text = (JSON.parse(d.slice(6)) as { choices: { delta: { content: string } }[] }).choices[0]!.delta.content;
    return `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`;
  }),
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${THROUGHPUT_CHUNKS}}}\n\n`,
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

const cases: { name: string; api: ApiKind; chunks: Buffer[] }[] = [
  { name: 'chat', api: 'chat.completions', chunks: [chat.opening, ...chat.deltas, chat.closing].map((c) => Buffer.from(c)) },
  { name: 'messages', api: 'messages', chunks: messages.map((c) => Buffer.from(c)) },
];

async function once(Impl: typeof Recording | typeof ReferenceRecording, api: ApiKind, chunks: Buffer[], checkpointEvery: number): Promise<number> {
  const rec = new Impl(
    { insert: () => {}, update: () => {} },
    DEFAULT_LIMITS,
    { wanted: () => true, emit: () => {} },
    {
      id: 'r', startedAt: Date.now(), t0: performance.now(), client: null, clientVersion: null, userAgent: null, sessionId: null,
      credentialFingerprint: null, upstream: 'bench', upstreamUrl: 'http://127.0.0.1:1/v1/x', api,
      method: 'POST', path: '/v1/x', retryCount: null, requestHeaders: {},
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
for (const c of cases) {
  for (const every of [0, 50]) {
    const xs: Record<string, number[]> = { old: [], new: [] };
    for (let i = 0; i < runs; i++) for (const [name, Impl] of Object.entries(impls)) xs[name]!.push(await once(Impl, c.api, c.chunks, every));
    const line = Object.keys(impls).map((name) => `${name} ${median(xs[name]!.slice(Math.floor(runs / 3)))} µs`).join(', ');
    console.log(`${c.name}, checkpoint ${every ? `every ${every} chunks` : 'never'}: ${line} per stream`);
  }
}

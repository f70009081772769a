// The recorder's hot path (issue 8, item 3): each event is parsed by offsets and read
// by a fast path where its shape allows, the answer built from pieces. Every
// transcript, however the network cut it, whatever the caps, checkpoints and ending,
// must give exactly the writes and live changes of the recorder that assembled every
// event as it came (frozen in test/fixtures/recording-reference.ts).

import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKind } from '../../src-main/common/record.js';
import type { Limits } from '../../src-main/common/settings.js';
import { DEFAULT_LIMITS } from '../../src-main/core/config.js';
import type { Ending } from '../../src-main/core/recorder/classify.js';
import { Recording, type RecordChange, type RecordPatch } from '../../src-main/core/recorder/recording.js';
import type { TokenEstimator } from '../../src-main/core/recorder/token-estimator.js';
import { recordingInit } from '../fixtures/records.js';
import { ReferenceRecording } from '../fixtures/recording-reference.js';
import { split, TRANSCRIPTS as SSE_TRANSCRIPTS } from '../fixtures/sse-transcripts.js';

const APIS: readonly ApiKind[] = ['chat.completions', 'responses', 'messages', 'other'];

function apiOf(file: string): ApiKind | null {
  if (file.includes('chat')) return 'chat.completions';
  if (file.includes('responses')) return 'responses';
  if (file.includes('messages')) return 'messages';
  return null;
}

const TRANSCRIPTS = SSE_TRANSCRIPTS.map((t) => ({ ...t, api: apiOf(t.file) }));

// The estimator's answer is fixed, so a record without usage gets the same count on both paths.
const fixedEstimate: TokenEstimator = { count: () => Promise.resolve(7), started: false, running: false } as unknown as TokenEstimator;


interface Run {
  api: ApiKind;
  chunks: Uint8Array[];
  times: number[];
  checkpoints: Set<number>;
  limits: Limits;
  ending: Ending;
}

/** Every write and every live change of one recording of `run`, with a fake clock. */
async function record(Impl: typeof Recording | typeof ReferenceRecording, run: Run): Promise<{ patches: RecordPatch[]; changes: RecordChange[] }> {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const patches: RecordPatch[] = [];
  const changes: RecordChange[] = [];
  const rec = new Impl(
    // answerInLog came after the reference; test/unit/answer-from-log.property.test.ts proves it.
    { insert: (r) => void patches.push(structuredClone(r)), update: (_id, { answerInLog: _inLog, ...p }) => void patches.push(structuredClone(p)) },
    run.limits,
    { wanted: () => true, emit: (c) => void changes.push(structuredClone(c)) },
    recordingInit({ api: run.api }),
    fixedEstimate,
  );
  rec.start();
  rec.responseStarted(200, {}, 'text/event-stream', '');
  for (let i = 0; i < run.chunks.length; i++) {
    now = run.times[i]!;
    rec.chunkForwarded(Buffer.from(run.chunks[i]!));
    if (run.checkpoints.has(i)) {
      now += 1;
      rec.checkpoint();
    }
  }
  now += 1;
  await rec.finish(run.ending);
  vi.restoreAllMocks();
  return { patches, changes };
}

const endings: fc.Arbitrary<Ending> = fc.constantFrom<Ending>(
  { kind: 'upstream_end' },
  { kind: 'client_closed' },
  { kind: 'upstream_failed', code: 'ECONNRESET', message: 'socket hang up' },
);

const runs = fc
  .record({
    pick: fc.nat(TRANSCRIPTS.length - 1),
    otherApi: fc.constantFrom(...APIS),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    gaps: fc.array(fc.double({ min: 0, max: 3_000, noNaN: true }), { minLength: 1, maxLength: 41 }),
    checkpoints: fc.array(fc.nat(40), { maxLength: 10 }),
    eventCount: fc.option(fc.integer({ min: 1, max: 40 })),
    eventBytes: fc.option(fc.integer({ min: 1, max: 20_000 })),
    textChars: fc.option(fc.integer({ min: 1, max: 400 })),
    ending: endings,
  })
  .map((s): Run => {
    const t = TRANSCRIPTS[s.pick]!;
    const chunks = split(t.bytes, s.cuts);
    let at = 0;
    const times = chunks.map((_, i) => (at += s.gaps[i % s.gaps.length]!));
    return {
      api: t.api ?? s.otherApi,
      chunks,
      times,
      checkpoints: new Set(s.checkpoints),
      limits: {
        ...DEFAULT_LIMITS,
        eventCount: s.eventCount ?? DEFAULT_LIMITS.eventCount,
        eventBytes: s.eventBytes ?? DEFAULT_LIMITS.eventBytes,
        textChars: s.textChars ?? DEFAULT_LIMITS.textChars,
      },
      ending: s.ending,
    };
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('assembly after the fact', () => {
  it.each(TRANSCRIPTS.map((t) => [t.file, t] as const))('records %s whole exactly as live assembly did', async (_file, t) => {
    for (const api of t.api ? [t.api] : APIS) {
      const run: Run = { api, chunks: [t.bytes], times: [12.3], checkpoints: new Set(), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } };
      const today = await record(Recording, run);
      expect(today).toEqual(await record(ReferenceRecording, run));
      const last = today.patches[today.patches.length - 1]!;
      expect(last.eventCount).toBeGreaterThan(0);
    }
  });

  it('gives the same writes and live changes under any split, caps, checkpoints and ending', async () => {
    await fc.assert(
      fc.asyncProperty(runs, async (run) => {
        expect(await record(Recording, run)).toEqual(await record(ReferenceRecording, run));
      }),
      { numRuns: 300 },
    );
  });

  it('records a burst of 1,500 events in one chunk, with no checkpoint', async () => {
    // Many more pieces than the answer builder joins at once.
    const delta = (i: number) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"w${i} "}}\n\n`;
    const body = Buffer.from(Array.from({ length: 1_500 }, (_, i) => delta(i)).join('') + 'event: message_stop\ndata: {"type":"message_stop"}\n\n');
    const run: Run = { api: 'messages', chunks: [body], times: [5], checkpoints: new Set(), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } };
    const today = await record(Recording, run);
    expect(today).toEqual(await record(ReferenceRecording, run));
    const last = today.patches[today.patches.length - 1]!;
    expect(last.responseText).toBe(Array.from({ length: 1_500 }, (_, i) => `w${i} `).join(''));
    expect(last.outcome).toBe('completed');
  });

  it('records events of 300 KB each, up to the text cap', async () => {
    // Few events, each large: the record is still the one the reference made.
    const big = 'x'.repeat(300_000);
    const delta = `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${big}"}}\n\n`;
    const chunks = [Buffer.from(delta), Buffer.from(delta), Buffer.from(delta), Buffer.from(delta), Buffer.from('event: message_stop\ndata: {"type":"message_stop"}\n\n')];
    const run: Run = { api: 'messages', chunks, times: [1, 2, 3, 4, 5], checkpoints: new Set(), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } };
    const today = await record(Recording, run);
    expect(today).toEqual(await record(ReferenceRecording, run));
    expect(today.patches[today.patches.length - 1]!.responseText?.length).toBe(Math.min(4 * big.length, DEFAULT_LIMITS.textChars));
  });
});

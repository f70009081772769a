// The event log (recorder/event-log.ts): a recorded stream keeps its decoded bytes once
// with each event's time and end, and readers rebuild its events by re-parsing them.
// Whatever the transcript and however the network cut it, the rebuilt events are the
// ones the recorder's parser saw, each with the time of the chunk that completed it
// (what the recorder stored as one object per event before the log).

import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RawEvent } from '../../src-main/common/record.js';
import { DEFAULT_LIMITS } from '../../src-main/core/config.js';
import { decodeTimes, encodeTimes, eventsFromLog, eventsFromStored, logFromEvents, type EventLog } from '../../src-main/core/recorder/event-log.js';
import { Recording, type RecordPatch } from '../../src-main/core/recorder/recording.js';
import { SseParser } from '../../src-main/core/recorder/sse-parser.js';
import type { TokenEstimator } from '../../src-main/core/recorder/token-estimator.js';
import { brotliCompressSync } from 'node:zlib';
import type { Limits } from '../../src-main/common/settings.js';
import { recordingInit } from '../fixtures/records.js';
import { split, TRANSCRIPTS } from '../fixtures/sse-transcripts.js';


const noEstimate: TokenEstimator = { count: () => Promise.resolve(null), started: false, running: false } as unknown as TokenEstimator;


const round = (ms: number) => Math.round(ms * 10) / 10;

/** What the recorder kept before the log: one object per parsed event, timed by its chunk. */
function reference(chunks: Uint8Array[], times: number[], limits: Limits): { events: RawEvent[]; truncated: boolean } {
  const p = new SseParser();
  const events: RawEvent[] = [];
  let truncated = false;
  const take = (evs: ReturnType<SseParser['push']>, t: number) => {
    for (const e of evs) {
      if (truncated) continue;
      if (events.length >= limits.eventCount) truncated = true;
      else events.push({ t: round(t), event: e.event, data: e.data });
    }
  };
  chunks.forEach((c, i) => take(p.push(c), times[i]!));
  take(p.end(), times[times.length - 1] ?? 0);
  return { events, truncated };
}

/** Records `chunks` arriving at `times` (ms from arrival); the final patch. */
async function record(chunks: Uint8Array[], times: number[], limits: Limits): Promise<RecordPatch> {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const patches: RecordPatch[] = [];
  const rec = new Recording({ insert: () => {}, update: (_id, p) => void patches.push(p) }, limits, { wanted: () => false, emit: () => {} }, recordingInit({ api: 'chat.completions', upstream: 'openai', upstreamUrl: 'http://127.0.0.1:1/v1/chat/completions', path: '/v1/chat/completions' }), noEstimate);
  rec.start();
  rec.responseStarted(200, {}, 'text/event-stream', '');
  chunks.forEach((c, i) => {
    now = times[i]!;
    rec.chunkForwarded(Buffer.from(c));
  });
  await rec.finish({ kind: 'upstream_end' });
  vi.restoreAllMocks();
  return patches[patches.length - 1]!;
}

/** Through the store's encoding: compressed bytes, varint times. */
function stored(log: EventLog): RawEvent[] {
  return eventsFromStored(brotliCompressSync(log.bytes), encodeTimes(log));
}

const streams = fc.record({
  picks: fc.array(fc.nat(TRANSCRIPTS.length - 1), { minLength: 1, maxLength: 3 }),
  cuts: fc.array(fc.nat(), { maxLength: 40 }),
  gaps: fc.array(fc.double({ min: 0, max: 80, noNaN: true }), { minLength: 1, maxLength: 41 }),
});

function build(s: { picks: number[]; cuts: number[]; gaps: number[] }) {
  const bytes = Buffer.concat(s.picks.map((i) => TRANSCRIPTS[i]!.bytes));
  const chunks = split(bytes, s.cuts);
  let t = 0;
  const times = chunks.map((_, i) => (t += s.gaps[i % s.gaps.length]!));
  return { chunks, times };
}

afterEach(() => vi.restoreAllMocks());

describe('the event log', () => {
  it('rebuilds the events the recorder parsed, with their chunks’ times, however the stream was cut', async () => {
    await fc.assert(
      fc.asyncProperty(streams, async (s) => {
        const { chunks, times } = build(s);
        const want = reference(chunks, times, DEFAULT_LIMITS);
        const patch = await record(chunks, times, DEFAULT_LIMITS);
        expect(patch.events).toEqual([]);
        expect(patch.eventsTruncated).toBe(false);
        expect(eventsFromLog(patch.eventLog!.bytes, patch.eventLog!.times)).toEqual(want.events);
        expect(stored(patch.eventLog!)).toEqual(want.events);
      }),
      { numRuns: 150 },
    );
  });

  it('is cut at an event boundary by the event cap, and says so', async () => {
    await fc.assert(
      fc.asyncProperty(streams, fc.integer({ min: 1, max: 30 }), async (s, cap) => {
        const { chunks, times } = build(s);
        const limits = { ...DEFAULT_LIMITS, eventCount: cap };
        const want = reference(chunks, times, limits);
        const patch = await record(chunks, times, limits);
        expect(patch.eventsTruncated).toBe(want.truncated);
        expect(stored(patch.eventLog!)).toEqual(want.events);
        // nothing past the last kept event's end
        expect(patch.eventLog!.bytes.length).toBe(patch.eventLog!.ends[patch.eventLog!.ends.length - 1] ?? 0);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps at most the byte cap, cut after the last whole event that fits', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`);
    const bytes = Buffer.from(lines.join(''));
    const fifteen = lines.slice(0, 15).join('').length;
    const limits = { ...DEFAULT_LIMITS, eventBytes: fifteen + 3 };
    const chunks = split(bytes, [7, 100, 101, 400]);
    const patch = await record(chunks, chunks.map((_, i) => i), limits);
    expect(patch.eventsTruncated).toBe(true);
    expect(patch.eventCount).toBe(50);
    const events = stored(patch.eventLog!);
    expect(events.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(patch.eventLog!.bytes.length).toBe(fifteen);
  });

  it('stores times at 0.1 ms in varint deltas, and end offsets', () => {
    const log: EventLog = { bytes: new Uint8Array(0), times: [0, 0.1, 12.3, 12.3, 90_000_000.5, 3], ends: [5, 9, 300, 301, 70_000, 70_001] };
    expect(decodeTimes(encodeTimes(log))).toEqual({ times: log.times, ends: log.ends });
    expect(encodeTimes({ ...log, times: [1, 2, 3], ends: [10, 20, 30] }).length).toBe(6);
  });

  it('gives back events handed over whole, and reads the TEXT form converted rows keep', () => {
    const events: RawEvent[] = [
      { t: 1.5, event: 'message_start', data: '{"a":1}' },
      { t: 2, event: null, data: 'two\nlines' },
      { t: 2, event: null, data: '' },
      { t: 3, event: 'x', data: ' leading space, é 😀' },
    ];
    const log = logFromEvents(events);
    expect(stored(log)).toEqual(events);
    expect(eventsFromStored(Buffer.from(log.bytes).toString('utf8'), JSON.stringify(events.map((e) => e.t)))).toEqual(events);
    expect(eventsFromStored(null, null)).toEqual([]);
  });
});

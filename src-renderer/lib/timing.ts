// The numbers behind the detail view's timing chart: event arrivals binned over the
// request's lifetime (a stall is an empty stretch, a burst a tall bar) and the longest
// silence, including the one before the end — the usual signature of a stream that was
// cut off after the provider went quiet. Pure.

import type { RawEvent, Timings } from '../../src-main/common/record.js';

export interface Gap {
  fromMs: number;
  toMs: number;
  /** 'stream' between two events, 'end' from the last event to the end, 'start' before the first */
  where: 'start' | 'stream' | 'end';
}

export interface TimingModel {
  endMs: number;
  buckets: number[];
  bucketMs: number;
  maxBucket: number;
  longestGap: Gap | null;
  eventCount: number;
}

/**
 * `gapsFromMs`: only silences after this offset count as gaps (the chart passes TTFT:
 * the wait before the first token is already drawn as such, a stall is what comes after).
 */
export function timingModel(
  events: readonly Pick<RawEvent, 't'>[],
  timings: Timings,
  opts: { nowOffsetMs?: number; bucketCount?: number; gapsFromMs?: number } = {},
): TimingModel {
  const lastT = events.length ? events[events.length - 1]!.t : 0;
  const endMs = Math.max(1, timings.durationMs ?? opts.nowOffsetMs ?? 0, lastT, timings.ttftMs ?? 0, timings.firstByteMs ?? 0);
  const n = Math.max(1, opts.bucketCount ?? 240);
  const bucketMs = endMs / n;
  const buckets = new Array<number>(n).fill(0);
  for (const e of events) {
    const i = Math.min(n - 1, Math.max(0, Math.floor(e.t / bucketMs)));
    buckets[i]!++;
  }
  let longest: Gap | null = null;
  const consider = (g: Gap): void => {
    if (g.toMs - g.fromMs > 0 && (longest === null || g.toMs - g.fromMs > longest.toMs - longest.fromMs)) longest = g;
  };
  const from = opts.gapsFromMs ?? 0;
  if (events.length) {
    if (from <= 0) consider({ fromMs: 0, toMs: events[0]!.t, where: 'start' });
    for (let i = 1; i < events.length; i++) {
      if (events[i - 1]!.t >= from) consider({ fromMs: events[i - 1]!.t, toMs: events[i]!.t, where: 'stream' });
    }
    consider({ fromMs: Math.max(lastT, from), toMs: endMs, where: 'end' });
  } else if (endMs > 1) {
    consider({ fromMs: 0, toMs: endMs, where: 'start' });
  }
  return { endMs, buckets, bucketMs, maxBucket: Math.max(0, ...buckets), longestGap: longest, eventCount: events.length };
}

/** "Nice" tick positions for an axis from 0 to endMs (about `count` ticks). */
export function axisTicks(endMs: number, count = 6): number[] {
  if (endMs <= 0) return [0];
  const raw = endMs / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = 0; t <= endMs + 1e-9; t += step) ticks.push(t);
  return ticks;
}

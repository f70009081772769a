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

/** The step between "nice" axis ticks for 0…endMs (about `count` ticks). */
const CLOCK_STEPS = [30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10_800e3, 21_600e3, 43_200e3, 86_400e3];

export function axisStep(endMs: number, count = 6): number {
  const raw = endMs / count;
  // Past half a minute per tick, steps a clock reads: 1 min, 5 min, 1 h.
  if (raw > 20_000) return CLOCK_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400e3) * 86_400e3;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** "Nice" tick positions for an axis from 0 to endMs (about `count` ticks). */
export function axisTicks(endMs: number, count = 6): number[] {
  if (endMs <= 0) return [0];
  const step = axisStep(endMs, count);
  const ticks: number[] = [];
  // Multiplied, not summed: adding 0.1 ms steps drifts (0.30000000000000004).
  for (let i = 0; i * step <= endMs + 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Decimals that tell ticks `step` apart in `unit` (1 for ms, 1000 for s). */
function decimalsFor(step: number, unit: number): number {
  const s = step / unit;
  for (let d = 0; d < 4; d++) if (Math.abs(Math.round(s * 10 ** d) - s * 10 ** d) < 1e-6) return d;
  return 3;
}

/**
 * An axis label precise enough that neighbours never read the same ("0.5 ms", "1 ms",
 * "1.5 ms"; "1.25 s", "1.5 s"): the precision follows the step, not the value.
 */
export function formatTick(t: number, step: number): string {
  if (t === 0) return '0';
  if (step < 1000 && t < 1000) return `${t.toFixed(decimalsFor(step, 1))} ms`;
  if (t < 60_000 || step < 1000) return `${(t / 1000).toFixed(decimalsFor(step, 1000))} s`;
  const m = Math.round(t / 60_000);
  if (t % 60_000 !== 0) return `${Math.floor(t / 60_000)}m ${String(Math.round((t % 60_000) / 1000)).padStart(2, '0')}s`;
  return m >= 60 ? `${Math.floor(m / 60)}h${m % 60 ? ` ${String(m % 60).padStart(2, '0')}m` : ''}` : `${m} min`;
}

/** Index of the event nearest to `ms` (events sorted by time), or null when there are none. */
export function nearestEvent(events: readonly Pick<RawEvent, 't'>[], ms: number): number | null {
  if (events.length === 0) return null;
  let lo = 0;
  let hi = events.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.t < ms) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && ms - events[lo - 1]!.t <= events[lo]!.t - ms) return lo - 1;
  return lo;
}

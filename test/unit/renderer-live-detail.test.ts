import { describe, expect, it } from 'vitest';
import { summarize } from '../../src-main/common/record.js';
import { liveHeadline, mergeLive } from '../../src-renderer/lib/live-detail.js';
import { axisStep, axisTicks, formatTick, nearestEvent } from '../../src-renderer/lib/timing.js';
import { recordFixture } from './renderer-fixtures.js';

const live = (patch: Parameters<typeof recordFixture>[0] = {}) =>
  recordFixture({ outcome: 'in_progress', httpStatus: 200, events: [], eventCount: 0, timings: { firstByteMs: 100, ttftMs: null, lastEventMs: null, durationMs: null }, ...patch });

describe('mergeLive', () => {
  it('appends pushed event arrivals, takes only the new tail of an overlap, and reports a gap', () => {
    const rec = live({ events: [{ t: 10, event: 'a', data: '{"x":1}' }] });
    const s = summarize({ ...rec, eventCount: 3 });
    const a = mergeLive(rec, s, { from: 0, t: [10, 20, 30], name: ['a', 'b', null] });
    expect(a.gap).toBe(false);
    expect(a.record.events).toEqual([
      { t: 10, event: 'a', data: '{"x":1}' },
      { t: 20, event: 'b', data: '' },
      { t: 30, event: null, data: '' },
    ]);
    expect(a.record.eventCount).toBe(3);
    const b = mergeLive(a.record, s, { from: 5, t: [60], name: ['z'] });
    expect(b.gap).toBe(true);
    expect(b.record.events).toHaveLength(3);
    expect(mergeLive(a.record, s, undefined).record.events).toBe(a.record.events);
  });

  it('keeps the longer stored text over the summary preview', () => {
    const rec = live({ responseText: 'x'.repeat(500) });
    expect(mergeLive(rec, summarize({ ...rec, responseText: 'x'.repeat(10) }), undefined).record.responseText).toHaveLength(500);
  });
});

describe('liveHeadline', () => {
  const t0 = 1_000_000;
  it('says what a live request is doing now, and calls a 10 s silence a stall', () => {
    expect(liveHeadline(live({ startedAt: t0, httpStatus: null }), t0 + 3_200).text).toBe('Waiting for the provider to answer: 3.2 s so far.');
    const streaming = live({ startedAt: t0, eventCount: 56, timings: { firstByteMs: 100, ttftMs: 900, lastEventMs: 5_100, durationMs: null } });
    expect(liveHeadline(streaming, t0 + 6_000)).toEqual({ text: 'Streaming: 56 events in 6.0 s.', stalled: false });
    const stalled = liveHeadline(streaming, t0 + 39_100);
    expect(stalled.stalled).toBe(true);
    expect(stalled.text).toBe('Stalled: no event for 34.0 s; the last one arrived 5.1 s in (56 events so far).');
    expect(liveHeadline({ ...streaming, eventCount: 1 }, t0 + 6_000).text).toBe('Streaming: 1 event in 6.0 s.');
  });
});

describe('timing axis', () => {
  it('labels ticks precisely enough that neighbours never read the same', () => {
    for (const end of [1, 2, 3.4, 7, 45, 999, 1_200, 2_600, 9_000, 31_200, 49_000, 75_000, 200_000, 3_700_000]) {
      const step = axisStep(end, 6);
      const labels = axisTicks(end, 6).map((t) => formatTick(t, step));
      expect(new Set(labels).size, `${end}: ${labels.join(' ')}`).toBe(labels.length);
    }
    expect(axisTicks(2, 6).map((t) => formatTick(t, axisStep(2, 6)))).toEqual(['0', '0.5 ms', '1.0 ms', '1.5 ms', '2.0 ms']);
    expect(axisTicks(200_000, 6).map((t) => formatTick(t, axisStep(200_000, 6)))).toEqual(['0', '1 min', '2 min', '3 min']);
  });

  it('finds the event nearest a time', () => {
    const ev = [{ t: 10 }, { t: 20 }, { t: 40 }];
    expect(nearestEvent(ev, 0)).toBe(0);
    expect(nearestEvent(ev, 16)).toBe(1);
    expect(nearestEvent(ev, 29)).toBe(1);
    expect(nearestEvent(ev, 31)).toBe(2);
    expect(nearestEvent(ev, 99)).toBe(2);
    expect(nearestEvent([], 5)).toBeNull();
  });
});

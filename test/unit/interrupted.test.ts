// What a request left in_progress by a stopped run becomes (common/interrupted.ts),
// apart from the store that finds and writes it.

import { describe, expect, it } from 'vitest';
import { interruptedChanges, markInterrupted } from '../../src-main/common/interrupted.js';
import { makeRecord } from '../fixtures/store-records.js';

describe('markInterrupted', () => {
  it('ends the request at the latest moment it was seen alive, the proxy being the side that stopped', () => {
    const rec = makeRecord({ startedAt: 10_000, timings: { firstByteMs: 300, ttftMs: 900, lastEventMs: 700, durationMs: null } });
    const out = markInterrupted(rec);
    expect(out).toEqual({
      ...rec,
      outcome: 'interrupted',
      endedAt: 10_900,
      timings: { ...rec.timings, durationMs: 900 },
      evidence: { ...rec.evidence, closeSide: 'proxy' },
    });
  });

  it('ends a request never answered where it started, and keeps a later end already recorded', () => {
    const silent = makeRecord({ startedAt: 5_000, timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null } });
    expect(markInterrupted(silent)).toMatchObject({ endedAt: 5_000, timings: { durationMs: 0 } });
    const ended = makeRecord({ startedAt: 5_000, endedAt: 9_000, timings: { firstByteMs: 100, ttftMs: null, lastEventMs: null, durationMs: null } });
    expect(markInterrupted(ended)).toMatchObject({ endedAt: 9_000, timings: { durationMs: 4_000 } });
  });

  it('leaves the record it was given as it was', () => {
    const rec = makeRecord({ startedAt: 1_000 });
    const before = structuredClone(rec);
    markInterrupted(rec);
    expect(rec).toEqual(before);
  });
});

describe('interruptedChanges', () => {
  it('is what recovery writes: the interrupted fields and the classifier’s diagnosis and phase', () => {
    const interrupted = markInterrupted(makeRecord({ startedAt: 2_000, timings: { firstByteMs: 50, ttftMs: null, lastEventMs: null, durationMs: null } }));
    expect(interruptedChanges(interrupted, { diagnosis: 'cut by a restart', phase: 'before_first_chunk' })).toEqual({
      outcome: 'interrupted',
      endedAt: 2_050,
      timings: interrupted.timings,
      evidence: interrupted.evidence,
      diagnosis: 'cut by a restart',
      phase: 'before_first_chunk',
    });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppStatus, LiveEvent } from '../../src-main/common/contract.js';
import { emptyUsage, summarize, type RequestRecord, type RequestSummary } from '../../src-main/common/record.js';
import { recordFixture } from '../fixtures/records.js';
import type { CoreStatus } from '../../src-main/core/create-core.js';
import type { LiveFeedSource } from '../../src-main/core/live-feed.js';
import { createLiveFeed, mergeKind } from '../../src-main/core/live-feed.js';
import type { RecordChange } from '../../src-main/core/recorder/recording.js';

function summary(id: string, patch: Partial<RequestRecord> = {}): RequestSummary {
  return summarize(recordFixture({ id, upstream: 'anthropic', api: 'messages', model: 'claude-x', diagnosis: '', ...patch }));
}

/** Just what the feed uses of a Core: its two subscriptions. */
function fakeCore() {
  const changeListeners = new Set<(c: RecordChange, seq: number) => void>();
  let seq = 0;
  const statusListeners = new Set<(s: CoreStatus) => void>();
  const core = {
    onChange(l: (c: RecordChange, seq: number) => void) {
      changeListeners.add(l);
      return () => changeListeners.delete(l);
    },
    onStatus(l: (s: CoreStatus) => void) {
      statusListeners.add(l);
      return () => statusListeners.delete(l);
    },
  } as LiveFeedSource;
  return {
    core,
    change: (kind: RecordChange['kind'], s: RequestSummary) => {
      seq++;
      for (const l of changeListeners) l({ kind, summary: s }, seq);
    },
    statusChanged: () => {
      for (const l of statusListeners) l({} as CoreStatus);
    },
    listenerCount: () => changeListeners.size + statusListeners.size,
  };
}

let statusSeq = 0;
const getStatus = () => ({ live: ++statusSeq }) as unknown as AppStatus;

function recordsEvents(events: LiveEvent[]) {
  return events.filter((e): e is Extract<LiveEvent, { type: 'records' }> => e.type === 'records');
}

beforeEach(() => {
  vi.useFakeTimers();
  statusSeq = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('mergeKind', () => {
  it('lets finished win over everything and never loses a started', () => {
    expect(mergeKind('started', 'progress')).toBe('started');
    expect(mergeKind('progress', 'progress')).toBe('progress');
    expect(mergeKind('started', 'finished')).toBe('finished');
    expect(mergeKind('progress', 'finished')).toBe('finished');
    expect(mergeKind('finished', 'progress')).toBe('finished');
  });
});

describe('createLiveFeed', () => {
  it('keeps only the latest summary of a request within one window, as one records event', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    for (let n = 1; n <= 50; n++) f.change('progress', summary('a', { usage: { ...emptyUsage(), outputTokens: n } }));
    vi.advanceTimersByTime(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'records', changes: [{ kind: 'progress', summary: { id: 'a', usage: { outputTokens: 50 } } }] });
    stop();
  });

  it('pushes started (with the latest summary) when a request started and progressed in one window', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    f.change('started', summary('a'));
    f.change('progress', summary('a', { eventCount: 7 }));
    vi.advanceTimersByTime(0);
    const [ev] = recordsEvents(events);
    // It carries the seq of the latest change merged into it, and so does the event.
    expect(ev!.changes).toEqual([{ kind: 'started', summary: expect.objectContaining({ id: 'a', eventCount: 7 }), seq: 2 }]);
    expect(ev!.seq).toBe(2);
    stop();
  });

  it('pushes finished with the final summary even if a stale progress follows it in the window', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    f.change('started', summary('a'));
    f.change('progress', summary('a', { eventCount: 3 }));
    f.change('finished', summary('a', { outcome: 'client_aborted', eventCount: 4 }));
    f.change('progress', summary('a', { eventCount: 3 }));
    vi.advanceTimersByTime(0);
    const [ev] = recordsEvents(events);
    expect(ev!.changes).toHaveLength(1);
    expect(ev!.changes[0]).toMatchObject({ kind: 'finished', summary: { outcome: 'client_aborted', eventCount: 4 } });
    stop();
  });

  it('flushes at most once per interval, in arrival order across requests', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    f.change('progress', summary('a'));
    vi.advanceTimersByTime(0); // a quiet feed sends the first change at once
    expect(recordsEvents(events)).toHaveLength(1);

    // 24 checkpoints of three streams, one every 10 ms, all inside the next window
    for (let t = 1; t <= 24; t++) {
      f.change('progress', summary(['b', 'c', 'a'][(t - 1) % 3]!, { eventCount: t }));
      vi.advanceTimersByTime(10);
    }
    expect(recordsEvents(events)).toHaveLength(1);
    vi.advanceTimersByTime(10); // 250 ms after the first flush
    const records = recordsEvents(events);
    expect(records).toHaveLength(2);
    expect(records[1]!.changes.map((c) => c.summary.id)).toEqual(['b', 'c', 'a']);
    expect(records[1]!.changes.find((c) => c.summary.id === 'a')!.summary.eventCount).toBe(24);

    // five seconds of constant progress: ~20 pushes, never more than one per 250 ms
    const before = recordsEvents(events).length;
    for (let t = 0; t < 500; t++) {
      f.change('progress', summary('a', { eventCount: t }));
      vi.advanceTimersByTime(10);
    }
    const pushes = recordsEvents(events).length - before;
    expect(pushes).toBeGreaterThanOrEqual(19);
    expect(pushes).toBeLessThanOrEqual(21);
    stop();
  });

  it('coalesces status changes into one status event with the latest status', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    f.statusChanged();
    f.statusChanged();
    f.statusChanged();
    vi.advanceTimersByTime(0);
    expect(events).toEqual([{ type: 'status', seq: 0, status: { live: 1 } }]);
    stop();
  });

  it('follows a start or an end with a status (live count, requests today), but not mere progress', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    f.change('progress', summary('a'));
    vi.advanceTimersByTime(300);
    expect(events.map((e) => e.type)).toEqual(['records']);
    f.change('finished', summary('a', { outcome: 'completed' }));
    vi.advanceTimersByTime(300);
    expect(events.map((e) => e.type)).toEqual(['records', 'records', 'status']);
    stop();
  });

  it('keeps running when push throws, and reports the error', () => {
    const f = fakeCore();
    const onError = vi.fn();
    let calls = 0;
    const stop = createLiveFeed(
      f.core,
      () => {
        calls++;
        if (calls === 1) throw new Error('window gone');
      },
      { intervalMs: 250, getStatus, onError },
    );
    f.change('progress', summary('a'));
    vi.advanceTimersByTime(0);
    f.change('progress', summary('a'));
    vi.advanceTimersByTime(300);
    expect(calls).toBe(2);
    expect(onError).toHaveBeenCalledTimes(1);
    stop();
  });

  it('cleanup unsubscribes, drops what was pending and leaves no timer', () => {
    const f = fakeCore();
    const events: LiveEvent[] = [];
    const stop = createLiveFeed(f.core, (e) => events.push(e), { intervalMs: 250, getStatus });
    expect(f.listenerCount()).toBe(2);
    f.change('progress', summary('a'));
    f.statusChanged();
    stop();
    expect(f.listenerCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    f.change('progress', summary('a'));
    vi.advanceTimersByTime(1000);
    expect(events).toEqual([]);
    stop(); // idempotent
  });
});

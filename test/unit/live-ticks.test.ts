// Live event arrivals (issue 10, item 2): a streaming request's progress changes carry
// the times and names of the events since the previous change, the live feed joins
// them while it coalesces, and the store gets the event log so far (whole events) every
// few seconds so an interrupted record keeps its events and its chart.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { LiveEvent } from '../../src-main/common/contract.js';
import { summarize } from '../../src-main/common/record.js';
import { DEFAULT_LIMITS } from '../../src-main/core/config.js';
import { createLiveFeed, mergeTicks, type LiveFeedSource } from '../../src-main/core/live-feed.js';
import { Recording, ANSWER_EVERY_CHECKPOINT_CHARS, EVENTS_STORE_MS, type RecordChange, type RecordPatch } from '../../src-main/core/recorder/recording.js';
import { createReadApi } from '../../src-main/core/api-model.js';
import type { Store } from '../../src-main/core/db/store.js';
import { eventsFromLog } from '../../src-main/core/recorder/event-log.js';
import { recordFixture } from '../fixtures/records.js';

function recording() {
  const changes: RecordChange[] = [];
  const patches: RecordPatch[] = [];
  const rec = new Recording(
    { insert: () => {}, update: (_id, p) => void patches.push({ ...p }) },
    DEFAULT_LIMITS,
    { wanted: () => true, emit: (c) => void changes.push(c) },
    {
      id: 'r1',
      startedAt: Date.now(),
      t0: performance.now(),
      client: null,
      clientVersion: null,
      userAgent: null,
      sessionId: null,
      credentialFingerprint: null,
      upstream: 'anthropic',
      upstreamUrl: 'http://127.0.0.1:1/v1/messages',
      api: 'messages',
      method: 'POST',
      path: '/v1/messages',
      retryCount: null,
      requestHeaders: {},
    },
  );
  rec.start();
  rec.responseStarted(200, {}, 'text/event-stream', '');
  const send = (n: number, from: number, text = (i: number) => `w${i} `) => {
    for (let i = 0; i < n; i++) {
      rec.chunkForwarded(Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${text(from + i)}"}}\n\n`));
    }
  };
  return { rec, changes, patches, send };
}

const progress = (changes: RecordChange[]) => changes.filter((c): c is Extract<RecordChange, { kind: 'progress' }> => c.kind === 'progress');

describe('event ticks on progress changes', () => {
  it('carry each event once, in order, with its name and no body', () => {
    const { rec, changes, send } = recording();
    send(3, 0);
    rec.checkpoint();
    send(2, 3);
    rec.checkpoint();
    rec.checkpoint(); // nothing new: no change at all
    const p = progress(changes);
    expect(p).toHaveLength(2);
    expect(p[0]!.ticks).toMatchObject({ from: 0, name: ['content_block_delta', 'content_block_delta', 'content_block_delta'] });
    expect(p[0]!.ticks!.t).toHaveLength(3);
    expect(p[1]!.ticks).toMatchObject({ from: 3 });
    expect(p[1]!.ticks!.t).toHaveLength(2);
    expect(JSON.stringify(p)).not.toContain('text_delta');
    expect(rec.liveEvents().map((e) => e.data)).toEqual(['', '', '', '', '']);
  });

  it('write the whole events so far to the store at most every EVENTS_STORE_MS while live', () => {
    let now = 1_000;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const { rec, patches, send } = recording();
      send(2, 0);
      rec.checkpoint();
      expect(patches.some((p) => p.eventLog !== undefined)).toBe(false); // too early: a short request never pays for it
      now += EVENTS_STORE_MS;
      send(1, 2);
      // half of the next event: not stored until it is whole
      rec.chunkForwarded(Buffer.from('event: content_block_delta\ndata: {"type":"content_'));
      rec.checkpoint();
      const stored = patches.filter((p) => p.eventLog !== undefined);
      expect(stored).toHaveLength(1);
      const log = stored[0]!.eventLog!;
      const events = eventsFromLog(log.bytes, log.times);
      expect(events.map((e) => JSON.parse(e.data).delta.text)).toEqual(['w0 ', 'w1 ', 'w2 ']);
      expect(events.map((e) => e.t)).toEqual([0, 0, EVENTS_STORE_MS]);
      now += 100;
      send(1, 3);
      rec.checkpoint();
      expect(patches.filter((p) => p.eventLog !== undefined)).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the answer while live', () => {
  const KB = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(996)}`;

  it('goes to the store with every checkpoint while short, once every EVENTS_STORE_MS once long, and whole at the end', async () => {
    let now = 1_000;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const { rec, patches, send } = recording();
      const checkpoint = () => {
        now += 200;
        const before = patches.length;
        rec.checkpoint();
        return patches.slice(before);
      };
      send(10, 0, KB);
      expect(checkpoint().map((p) => p.responseText?.length)).toEqual([10_000]);
      send(10, 10, KB);
      expect(checkpoint().map((p) => p.responseText?.length)).toEqual([20_000]);
      // Past the threshold: the checkpoints go on (counts, usage, timings) without the answer…
      const long = Math.ceil(ANSWER_EVERY_CHECKPOINT_CHARS / 1000);
      send(long, 20, KB);
      const quiet: RecordPatch[] = [];
      for (let i = 0; i < EVENTS_STORE_MS / 200 - 1; i++) {
        send(1, 20 + long + i, KB);
        quiet.push(...checkpoint());
      }
      expect(quiet).toHaveLength(EVENTS_STORE_MS / 200 - 1);
      expect(quiet.every((p) => p.responseText === undefined && p.toolCalls === undefined && p.eventCount !== undefined)).toBe(true);
      // …while the live detail has it as of the last checkpoint.
      const sent = 20 + long + EVENTS_STORE_MS / 200 - 1;
      expect(rec.liveDetail().responseText.length).toBe(sent * 1000);
      expect(rec.liveDetail().events).toHaveLength(sent);
      // EVENTS_STORE_MS after the last answer written, the whole answer so far.
      send(1, sent, KB);
      const due = checkpoint();
      expect(due.map((p) => p.responseText?.length)).toEqual([(sent + 1) * 1000]);
      send(1, sent + 1, KB);
      await rec.finish({ kind: 'upstream_end' });
      const final = patches[patches.length - 1]!;
      expect(final.responseText).toBe(Array.from({ length: sent + 2 }, (_, i) => KB(i)).join(''));
    } finally {
      spy.mockRestore();
    }
  });

  it("is what requests.get shows of a live record, over the row's older copy", async () => {
    const { rec, send } = recording();
    send(3, 0);
    rec.checkpoint();
    const stored = { ...rec.record, responseText: 'an older copy', events: [] };
    const store = { get: () => stored } as unknown as Store;
    const api = createReadApi({ store, seq: () => 0, liveDetail: () => rec.liveDetail() });
    const got = await api['requests.get']({ id: 'r1' });
    expect(got?.responseText).toBe('w0 w1 w2 ');
    expect(got?.events.map((e) => e.event)).toEqual(['content_block_delta', 'content_block_delta', 'content_block_delta']);
  });
});

describe('mergeTicks', () => {
  it('joins contiguous arrivals and drops a gap rather than guessing', () => {
    const a = { from: 0, t: [1, 2], name: ['x', null] };
    const b = { from: 2, t: [3], name: ['y'] };
    expect(mergeTicks(a, b)).toEqual({ from: 0, t: [1, 2, 3], name: ['x', null, 'y'] });
    expect(mergeTicks(undefined, b)).toBe(b);
    expect(mergeTicks(a, undefined)).toBe(a);
    expect(mergeTicks(a, { from: 5, t: [9], name: ['z'] })).toEqual({ from: 5, t: [9], name: ['z'] });
  });
});

describe('the live feed with ticks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pushes one change per request with the ticks of every coalesced progress; a finish drops them', () => {
    const listeners = new Set<(c: RecordChange, seq: number) => void>();
    const core: LiveFeedSource = {
      onChange: (l) => (listeners.add(l), () => listeners.delete(l)),
      onStatus: () => () => {},
    };
    const pushed: LiveEvent[] = [];
    const stop = createLiveFeed(core, (e) => pushed.push(e), { intervalMs: 250, getStatus: () => ({}) as never });
    const s = summarize(recordFixture({ id: 'a' }));
    let seq = 0;
    const emit = (c: RecordChange) => {
      seq++;
      listeners.forEach((l) => l(c, seq));
    };
    emit({ kind: 'progress', summary: s, ticks: { from: 0, t: [5], name: ['a'] } });
    emit({ kind: 'progress', summary: s, ticks: { from: 1, t: [7, 9], name: ['b', 'c'] } });
    vi.advanceTimersByTime(300);
    const first = pushed.find((e) => e.type === 'records');
    expect(first).toMatchObject({ changes: [{ kind: 'progress', ticks: { from: 0, t: [5, 7, 9], name: ['a', 'b', 'c'] } }] });
    pushed.length = 0;
    emit({ kind: 'progress', summary: s, ticks: { from: 3, t: [11], name: ['d'] } });
    emit({ kind: 'finished', summary: s });
    vi.advanceTimersByTime(300);
    const second = pushed.find((e) => e.type === 'records') as Extract<LiveEvent, { type: 'records' }>;
    expect(second.changes).toHaveLength(1);
    expect(second.changes[0]!.kind).toBe('finished');
    expect(second.changes[0]!.ticks).toBeUndefined();
    stop();
  });
});

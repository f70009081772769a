import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppStatus, ChannelArgs, ChannelName, ChannelResult, LiveEvent } from '../../src-main/common/contract.js';
import type { EventTicks, RequestSummary } from '../../src-main/common/record.js';
import { parseLiveEvent } from '../../src-renderer/api/live-event.js';
import type { ConnectionState, RendererApi } from '../../src-renderer/api/streamtap-api.js';
import { createAppStore, PAGE_SIZE, type Scheduler } from '../../src-renderer/stores/app-store.js';
import { recordFixture, summaryFixture } from './renderer-fixtures.js';

type Call = { channel: ChannelName; args: unknown };

/** An in-memory API: answers from `rows` (newest first), records every call. */
function fakeApi(rows: RequestSummary[] = [], opts: { manualConnection?: boolean } = {}) {
  const calls: Call[] = [];
  let live: ((e: LiveEvent) => void) | null = null;
  let conn: ((s: ConnectionState, detail?: string) => void) | null = null;
  const pending: { resolve: (reflects?: number) => void }[] = [];
  let hold = false;
  const api: RendererApi = {
    transport: 'http',
    async call<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
      calls.push({ channel, args });
      // Like the core, a list reflects the changes pushed before it was asked for; a held
      // one, what release() says (the server read it later).
      let reflects = liveSeq;
      if (hold && channel === 'requests.list') reflects = await new Promise<number>((resolve) => pending.push({ resolve: (at) => resolve(at ?? reflects) }));
      const answer = (v: unknown) => v as ChannelResult<C>;
      switch (channel) {
        case 'requests.list': {
          const a = args as ChannelArgs<'requests.list'>;
          const b = a.before;
          const older = b ? rows.filter((r) => r.startedAt < b.startedAt || (r.startedAt === b.startedAt && r.id < b.id)) : rows;
          return answer({ seq: reflects, records: older.slice(0, a.limit) });
        }
        case 'requests.stats':
          return answer({ requests: rows.length, byOutcome: {}, truncated: 0, inputTokens: 0, outputTokens: 0, medianTtftMs: null });
        case 'requests.facets':
          return answer({ models: [], clients: [], upstreams: [], sessions: [] });
        case 'requests.histogram':
          return answer({ from: 0, bucketMs: 1, requests: [rows.length], failed: [0] });
        case 'requests.get':
          return answer(recordFixture({ id: (args as { id: string }).id }));
        case 'status.get':
          return answer(null);
        case 'export.run':
          return answer({ status: 'downloaded', count: null });
        default:
          throw new Error(`unexpected ${channel}`);
      }
    },
    subscribe(listener) {
      live = listener;
      return () => (live = null);
    },
    onConnection(listener: (s: ConnectionState, detail?: string) => void) {
      if (opts.manualConnection) {
        conn = listener;
        listener('connecting');
      } else listener('open');
      return () => {};
    },
  };
  return {
    api,
    calls,
    push: (e: unknown) => live?.(e as LiveEvent),
    connection: (s: ConnectionState, detail?: string) => conn?.(s, detail),
    holdLists: () => (hold = true),
    /** answers the held lists; with `reflects`, as read once that change was in */
    release: (reflects?: number) => {
      hold = false;
      for (const p of pending.splice(0)) p.resolve(reflects);
    },
  };
}

function manualScheduler() {
  const frames: (() => void)[] = [];
  const warnings: string[] = [];
  const scheduler: Scheduler = {
    frame(cb) {
      frames.push(cb);
      return () => {
        const i = frames.indexOf(cb);
        if (i >= 0) frames.splice(i, 1);
      };
    },
    now: () => 1_700_000_100_000,
    warn: (m) => warnings.push(m),
  };
  return { scheduler, frames, warnings, runFrame: () => frames.splice(0).forEach((f) => f()) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
/** The core's sequence numbers: every pushed change takes the next one, and a list
 * answers with the latest when it was asked for (it reflects every change before it). */
let liveSeq = 0;
const nextSeq = () => ++liveSeq;
const change = (kind: 'started' | 'progress' | 'finished', summary: RequestSummary, ticks?: EventTicks): LiveEvent => {
  const seq = nextSeq();
  return { type: 'records', seq, changes: [ticks ? { kind, summary, ticks, seq } : { kind, summary, seq }] };
};

afterEach(() => vi.useRealTimers());

describe('live events are batched per animation frame', () => {
  it('applies a flood of events in one store update at the next frame', async () => {
    const f = fakeApi();
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await settle();
    let updates = 0;
    const unsub = app.store.subscribe(() => updates++);

    const base = summaryFixture({ id: 'a', startedAt: 1_700_000_000_000 });
    f.push(change('started', base));
    for (let i = 1; i <= 50; i++) f.push(change('progress', { ...base, usage: { ...base.usage, outputTokens: i, estimated: true } }));
    f.push({ type: 'status', seq: liveSeq, status: { live: 1, listening: true, paused: false } as AppStatus });

    expect(s.frames).toHaveLength(1); // one frame requested for the whole flood
    expect(updates).toBe(0); // nothing applied before the frame
    s.runFrame();
    expect(updates).toBe(1);
    const state = app.store.getState();
    expect(state.rows).toHaveLength(1);
    expect(state.rows[0]!.usage.outputTokens).toBe(50);
    expect(state.status?.live).toBe(1);
    unsub();
    stop();
  });

  it('reports and drops a malformed event but applies the good ones of the same batch', async () => {
    const f = fakeApi();
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await settle();
    f.push({ type: 'records', seq: nextSeq(), changes: [{ kind: 'started', summary: { id: 42 }, seq: liveSeq }, { kind: 'started', summary: summaryFixture({ id: 'ok' }), seq: liveSeq }] });
    f.push('garbage');
    f.push({ type: 'nope' });
    s.runFrame();
    expect(app.store.getState().rows.map((r) => r.id)).toEqual(['ok']);
    expect(s.warnings).toHaveLength(3);
    stop();
  });
});

describe('paging and reloads', () => {
  it('loads older pages with the keyset cursor of the last loaded row', async () => {
    const rows = Array.from({ length: PAGE_SIZE + 10 }, (_, i) => summaryFixture({ id: `r${String(i).padStart(4, '0')}`, startedAt: 1_700_000_000_000 - i * 1000, outcome: 'completed' }));
    const f = fakeApi(rows);
    const app = createAppStore(f.api, manualScheduler().scheduler);
    await app.actions.reload();
    expect(app.store.getState().rows).toHaveLength(PAGE_SIZE);
    expect(app.store.getState().hasMore).toBe(true);
    await app.actions.loadMore();
    const last = f.calls.filter((c) => c.channel === 'requests.list').at(-1)!.args as ChannelArgs<'requests.list'>;
    expect(last.before).toEqual({ startedAt: rows[PAGE_SIZE - 1]!.startedAt, id: rows[PAGE_SIZE - 1]!.id });
    expect(app.store.getState().rows).toHaveLength(PAGE_SIZE + 10);
    expect(app.store.getState().hasMore).toBe(false);
  });

  it('keeps a request that started while the first page was loading', async () => {
    const f = fakeApi([summaryFixture({ id: 'old', startedAt: 1_000, outcome: 'completed' })]);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    f.holdLists();
    const loading = app.actions.reload();
    await settle();
    app.actions.ingest(change('started', summaryFixture({ id: 'new', startedAt: 2_000 })));
    s.runFrame();
    f.release();
    await loading;
    expect(app.store.getState().rows.map((r) => r.id)).toEqual(['new', 'old']);
  });

  it('sends the outcome filter to the server and reloads on change', async () => {
    const f = fakeApi();
    const app = createAppStore(f.api, manualScheduler().scheduler);
    app.actions.setFilter({ outcomes: ['client_aborted'], range: '1h' });
    await settle();
    const list = f.calls.filter((c) => c.channel === 'requests.list').at(-1)!.args as ChannelArgs<'requests.list'>;
    expect(list.filter).toEqual({ outcome: ['client_aborted'], since: 1_700_000_100_000 - 3_600_000 });
  });
});

describe('the event stream connecting after the first page', () => {
  it('re-reads the newest rows, the summary strip and the chart once the stream is open, and everything after a reconnect', async () => {
    const rows: RequestSummary[] = [];
    const f = fakeApi(rows, { manualConnection: true });
    const app = createAppStore(f.api, manualScheduler().scheduler);
    const stop = app.actions.start();
    await settle();
    expect(app.store.getState().rows).toHaveLength(0);
    // a request started between the first page and the stream's opening: never pushed
    rows.unshift(summaryFixture({ id: 'gap', startedAt: 5 }));
    f.connection('open');
    await settle();
    await settle();
    expect(app.store.getState().rows.map((r) => r.id)).toEqual(['gap']);
    // the summary strip and the chart are read again too: each counts the request
    // that started (or settled) in the gap
    expect(f.calls.filter((c) => c.channel === 'requests.stats')).toHaveLength(2);
    expect(f.calls.filter((c) => c.channel === 'requests.histogram')).toHaveLength(2);

    rows.unshift(summaryFixture({ id: 'missed', startedAt: 6 }));
    f.connection('reconnecting');
    expect(app.store.getState().connection).toBe('reconnecting');
    f.connection('open', 'reconnected');
    await settle();
    await settle();
    expect(app.store.getState().rows.map((r) => r.id)).toEqual(['missed', 'gap']);
    expect(app.store.getState().connection).toBe('open');
    stop();
  });
});

describe('live changes apply exactly once (seq)', () => {
  it('ignores a change whose seq the list already reflects, and applies a later one', async () => {
    const rows = [summaryFixture({ id: 'a', startedAt: 1, outcome: 'in_progress', eventCount: 3 })];
    const f = fakeApi(rows);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    // A progress change pushed before the list was read, then the stream's end: the
    // list reflects both.
    const early = change('progress', { ...rows[0]!, eventCount: 2 });
    rows[0] = { ...rows[0]!, outcome: 'completed', eventCount: 5 };
    const stop = app.actions.start();
    await vi.waitFor(() => expect(app.store.getState().rows).toHaveLength(1));
    // It reaches the page only now (a slow transport): seq ≤ the list's, so it is not
    // applied again over the newer row.
    f.push(early);
    s.runFrame();
    expect(app.store.getState().rows[0]).toMatchObject({ id: 'a', outcome: 'completed', eventCount: 5 });
    // A change after the list is applied.
    f.push(change('started', summaryFixture({ id: 'b', startedAt: 2 })));
    s.runFrame();
    expect(app.store.getState().rows.map((r) => r.id)).toEqual(['b', 'a']);
    stop();
  });

  it('a page answer drops the changes seen during its load that it reflects, and a late push of one it reflects', async () => {
    const rows = [summaryFixture({ id: 'a', startedAt: 1, outcome: 'in_progress', eventCount: 1 })];
    const f = fakeApi(rows);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await vi.waitFor(() => expect(app.store.getState().rows).toHaveLength(1));
    f.holdLists();
    const reload = app.actions.reload();
    await settle();
    // Applied while the list is in flight…
    f.push(change('progress', { ...rows[0]!, eventCount: 4 }));
    s.runFrame();
    expect(app.store.getState().rows[0]).toMatchObject({ eventCount: 4 });
    // …then the stream ends; its push is slower than the list, which is read after it.
    const finished = change('finished', { ...rows[0]!, outcome: 'completed', eventCount: 5 });
    rows[0] = { ...rows[0]!, outcome: 'completed', eventCount: 5 };
    f.release(liveSeq);
    await reload;
    expect(app.store.getState().rows[0]).toMatchObject({ outcome: 'completed', eventCount: 5 });
    f.push(finished);
    s.runFrame();
    expect(app.store.getState().rows[0]).toMatchObject({ outcome: 'completed', eventCount: 5 });
    f.push(change('progress', { ...rows[0]!, outcome: 'completed', eventCount: 6 }));
    s.runFrame();
    expect(app.store.getState().rows[0]).toMatchObject({ eventCount: 6 });
    stop();
  });

  it('a re-read of the newest page keeps a row that a newer change reached while it was read', async () => {
    const rows = [summaryFixture({ id: 'a', startedAt: 1, outcome: 'in_progress', eventCount: 1 })];
    const f = fakeApi(rows, { manualConnection: true });
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await vi.waitFor(() => expect(app.store.getState().rows).toHaveLength(1));
    // The event stream opens: the newest page is read once more (held here)…
    f.holdLists();
    f.connection('open');
    await settle();
    // …and a change pushed after it was asked for arrives first.
    f.push(change('progress', { ...rows[0]!, eventCount: 4 }));
    s.runFrame();
    f.release();
    await vi.waitFor(() => expect(f.calls.filter((c) => c.channel === 'requests.list').length).toBe(2));
    await settle();
    expect(app.store.getState().rows[0]).toMatchObject({ id: 'a', eventCount: 4 });
    stop();
  });

  it('does not poll: no list is read again while a row stays in progress and nothing is pushed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    const rows = [summaryFixture({ id: 'a', startedAt: 1, outcome: 'in_progress' })];
    const f = fakeApi(rows);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await vi.waitFor(() => expect(app.store.getState().rows).toHaveLength(1));
    const lists = () => f.calls.filter((c) => c.channel === 'requests.list').length;
    const before = lists();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lists()).toBe(before);
    stop();
  });
});

describe('selection and detail', () => {
  it('moves the selection with the keyboard actions and refetches the open request when it changes live', async () => {
    const rows = [summaryFixture({ id: 'b', startedAt: 2 }), summaryFixture({ id: 'a', startedAt: 1 })];
    const f = fakeApi(rows);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await settle();
    app.actions.moveSelection(1);
    expect(app.store.getState().selectedId).toBe('b');
    app.actions.moveSelection(1);
    expect(app.store.getState().selectedId).toBe('a');
    app.actions.moveSelection(1);
    expect(app.store.getState().selectedId).toBe('a');

    app.actions.openDetail('b');
    await settle();
    expect(app.store.getState().detail.record?.id).toBe('b');
    const gets = () => f.calls.filter((c) => c.channel === 'requests.get').length;
    const before = gets();
    f.push(change('progress', rows[0]!));
    s.runFrame();
    await settle();
    expect(gets()).toBe(before + 1);
    app.actions.closeDetail();
    expect(app.store.getState().detail.id).toBeNull();
    stop();
  });
});

describe('the open request while it streams', () => {
  it('draws pushed event arrivals into the detail at once, and re-reads it on a gap or when it settles', async () => {
    const live = summaryFixture({ id: 'l', startedAt: 5, outcome: 'in_progress', eventCount: 0 });
    const f = fakeApi([live]);
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await settle();
    app.actions.openDetail('l');
    await settle();
    // The fake answers requests.get with a settled fixture; make the open record live.
    app.store.setState({ detail: { ...app.store.getState().detail, record: { ...app.store.getState().detail.record!, outcome: 'in_progress', events: [] } } });
    const gets = () => f.calls.filter((c) => c.channel === 'requests.get').length;
    const before = gets();
    f.push(change('progress', { ...live, eventCount: 2 }, { from: 0, t: [10, 20], name: ['a', 'b'] }));
    f.push(change('progress', { ...live, eventCount: 3 }, { from: 2, t: [30], name: ['c'] }));
    s.runFrame();
    const rec = app.store.getState().detail.record!;
    expect(rec.events.map((e) => [e.t, e.event])).toEqual([[10, 'a'], [20, 'b'], [30, 'c']]);
    expect(rec.eventCount).toBe(3);
    await settle();
    expect(gets()).toBe(before + 1); // the text catches up once, throttled
    f.push(change('progress', { ...live, eventCount: 9 }, { from: 7, t: [90, 95], name: ['x', 'y'] }));
    s.runFrame();
    await settle();
    expect(gets()).toBe(before + 2); // a gap: re-read now, not later
    stop();
  });
});

describe('exports', () => {
  it('finishes a browser download from its export.progress events', async () => {
    const f = fakeApi();
    const s = manualScheduler();
    const app = createAppStore(f.api, s.scheduler);
    const stop = app.actions.start();
    await app.actions.runExport('json');
    const job = app.store.getState().exports[0]!;
    expect(job).toMatchObject({ state: 'running', mode: 'download' });
    f.push({ type: 'export.progress', exportId: job.id, written: 120, done: false });
    s.runFrame();
    expect(app.store.getState().exports[0]).toMatchObject({ state: 'running', written: 120 });
    f.push({ type: 'export.progress', exportId: job.id, written: 250, done: true });
    s.runFrame();
    expect(app.store.getState().exports[0]).toMatchObject({ state: 'done', written: 250 });
    stop();
  });
});

describe('parseLiveEvent', () => {
  it('accepts the three event types and rejects unknown shapes', () => {
    const warn = vi.fn();
    expect(parseLiveEvent({ type: 'export.progress', exportId: 'x', written: 1, done: false }, warn)).not.toBeNull();
    expect(parseLiveEvent({ type: 'status', seq: 0, status: { listening: true, paused: false, live: 0 } }, warn)).not.toBeNull();
    expect(parseLiveEvent({ type: 'records', seq: 1, changes: [{ kind: 'started', summary: summaryFixture(), seq: 1 }] }, warn)).not.toBeNull();
    expect(parseLiveEvent({ type: 'records', seq: 1, changes: [{ kind: 'exploded', summary: summaryFixture(), seq: 1 }] }, warn)).toBeNull();
    expect(parseLiveEvent({ type: 'records', seq: 1, changes: [{ kind: 'started', summary: { ...summaryFixture(), outcome: 'weird' }, seq: 1 }] }, warn)).toBeNull();
    // without its sequence number a change cannot be applied exactly once
    expect(parseLiveEvent({ type: 'records', seq: 1, changes: [{ kind: 'started', summary: summaryFixture() }] }, warn)).toBeNull();
    expect(parseLiveEvent({ type: 'status', status: {} }, warn)).toBeNull();
    expect(parseLiveEvent(null, warn)).toBeNull();
    expect(warn).toHaveBeenCalledTimes(5);
  });
});

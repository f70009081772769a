// The store behind the sessions view, the folded timeline and the detail's attempt
// links: what it asks the API for, what it selects, what it remembers.

import { describe, expect, it } from 'vitest';
import type { ChannelArgs, ChannelName, ChannelResult, LiveEvent, SessionDetail, SessionSummary, TurnAttempt } from '../../src-main/common/contract.js';
import type { RequestSummary } from '../../src-main/common/record.js';
import type { RendererApi } from '../../src-renderer/api/streamtap-api.js';
import { createAppStore, FOLD_RETRIES_PREF, type Prefs, type Scheduler } from '../../src-renderer/stores/app-store.js';
import { recordFixture, summaryFixture } from './renderer-fixtures.js';

/** The core's sequence numbers: each pushed change takes the next one. */
let liveSeq = 0;
function records(kind: 'started' | 'progress' | 'finished', summary: RequestSummary): LiveEvent {
  const seq = ++liveSeq;
  return { type: 'records', seq, changes: [{ kind, summary, seq }] };
}

const NOW = 1_700_000_100_000;

function session(id: string, patch: Partial<SessionSummary> = {}): SessionSummary {
  return {
    sessionId: id,
    inferred: false,
    client: 'Codex 0.46.0',
    title: `title of ${id}`,
    startedAt: NOW - 60_000,
    endedAt: NOW - 1000,
    requests: 2,
    turnCount: 1,
    usage: summaryFixture().usage,
    costUsd: null,
    ending: { kind: 'completed', diagnosis: `ending of ${id}`, recordId: `${id}-last` },
    lastOutcome: 'completed',
    lastTruncated: false,
    lastDiagnosis: null,
    lastRequestId: `${id}-last`,
    ...patch,
  };
}

const attempt = (recordId: string, n: number): TurnAttempt => ({
  recordId,
  attempt: n,
  startedAt: NOW - 10_000 + n,
  endedAt: NOW - 9000 + n,
  outcome: 'upstream_error',
  truncated: false,
  stream: true,
  httpStatus: 529,
  ttftMs: null,
  durationMs: 20,
  eventCount: 0,
  error: null,
  diagnosis: 'The provider answered HTTP 529.',
});

/** An API answering the channels these tests use, recording every call. */
function fakeApi(opts: { rows?: RequestSummary[]; sessions?: SessionSummary[]; turns?: Record<string, TurnAttempt[]> } = {}) {
  const calls: { channel: ChannelName; args: unknown }[] = [];
  let live: ((e: LiveEvent) => void) | null = null;
  const rows = opts.rows ?? [];
  const api: RendererApi = {
    transport: 'http',
    async call<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
      calls.push({ channel, args });
      const answer = (v: unknown) => v as ChannelResult<C>;
      switch (channel) {
        case 'requests.list':
          // The pushes below all come after the lists they follow.
          return answer({ seq: liveSeq, records: rows.slice(0, (args as ChannelArgs<'requests.list'>).limit) });
        case 'requests.stats':
          return answer({ requests: rows.length, byOutcome: {}, truncated: 0, inputTokens: 0, outputTokens: 0, medianTtftMs: null });
        case 'requests.facets':
          return answer({ models: [], clients: [], upstreams: [], sessions: [] });
        case 'requests.histogram':
          return answer({ from: 0, bucketMs: 1, requests: [], failed: [] });
        case 'requests.get':
          return answer(recordFixture({ id: (args as { id: string }).id }));
        case 'requests.attempts': {
          const id = (args as { id: string }).id;
          const turn = Object.entries(opts.turns ?? {}).find(([, list]) => list.some((a) => a.recordId === id));
          return answer(turn ? { turnId: turn[0], attempts: turn[1] } : null);
        }
        case 'sessions.list':
          return answer(opts.sessions ?? []);
        case 'sessions.get': {
          const s = (opts.sessions ?? []).find((x) => x.sessionId === (args as { id: string }).id);
          return answer(s ? ({ ...s, turns: [], turnsTruncated: false } satisfies SessionDetail) : null);
        }
        case 'status.get':
          return answer(null);
        default:
          throw new Error(`unexpected ${channel}`);
      }
    },
    subscribe(listener) {
      live = listener;
      return () => (live = null);
    },
    onConnection(listener) {
      listener('open');
      return () => {};
    },
  };
  return { api, calls, push: (e: LiveEvent) => live?.(e), callsTo: (c: ChannelName) => calls.filter((x) => x.channel === c) };
}

function manualScheduler() {
  const frames: (() => void)[] = [];
  const scheduler: Scheduler = {
    frame(cb) {
      frames.push(cb);
      return () => frames.splice(frames.indexOf(cb) >>> 0, 1);
    },
    now: () => NOW,
    warn: () => {},
  };
  return { scheduler, runFrame: () => frames.splice(0).forEach((f) => f()) };
}

function memoryPrefs(initial: Record<string, string> = {}): Prefs & { values: Record<string, string> } {
  const values = { ...initial };
  return { values, get: (k) => values[k] ?? null, set: (k, v) => void (values[k] = v) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('the sessions view', () => {
  it('opening it loads the sessions and opens the latest one; later loads leave the choice alone', async () => {
    const f = fakeApi({ sessions: [session('s2'), session('s1')] });
    const app = createAppStore(f.api, manualScheduler().scheduler, memoryPrefs());
    const stop = app.actions.start();
    app.actions.setView('sessions');
    await settle();
    await settle();
    let s = app.store.getState();
    expect(s.sessions.map((x) => x.sessionId)).toEqual(['s2', 's1']);
    expect(s.selectedSessionId).toBe('s2');
    expect(s.session.detail?.ending.diagnosis).toBe('ending of s2');
    expect(f.callsTo('sessions.get').map((c) => c.args)).toEqual([{ id: 's2' }]);

    // Back to the list (a narrow view): a reload does not open one again.
    app.actions.openSession(null);
    await app.actions.loadSessions();
    s = app.store.getState();
    expect(s.selectedSessionId).toBeNull();
    expect(s.session.id).toBeNull();
    stop();
  });

  it('its filter becomes the contract’s: clients, endings, a search, a time range', async () => {
    const f = fakeApi({ sessions: [session('s1')] });
    const app = createAppStore(f.api, manualScheduler().scheduler, memoryPrefs());
    app.actions.setSessionsFilter({ clients: ['Codex 0.46.0'], endings: ['gave_up_after_retries', 'rate_limited'], text: '  --json flag ', range: '1h' });
    await settle();
    const last = f.callsTo('sessions.list').at(-1)!.args;
    expect(last).toEqual({ filter: { client: ['Codex 0.46.0'], ending: ['gave_up_after_retries', 'rate_limited'], text: '--json flag', since: NOW - 3_600_000 }, limit: 500 });
    app.actions.resetSessionsFilter();
    await settle();
    expect(f.callsTo('sessions.list').at(-1)!.args).toEqual({ filter: {}, limit: 500 });
  });

  it('j/k move the highlight through the list, stopping at its ends, and load each story', async () => {
    const f = fakeApi({ sessions: [session('s3'), session('s2'), session('s1')] });
    const app = createAppStore(f.api, manualScheduler().scheduler, memoryPrefs());
    await app.actions.loadSessions();
    app.actions.moveSessionSelection(1);
    expect(app.store.getState().selectedSessionId).toBe('s3');
    app.actions.moveSessionSelection(1);
    app.actions.moveSessionSelection(1);
    app.actions.moveSessionSelection(1);
    expect(app.store.getState().selectedSessionId).toBe('s1');
    app.actions.moveSessionSelection(-1);
    expect(app.store.getState().selectedSessionId).toBe('s2');
    await settle();
    expect(app.store.getState().session.detail?.sessionId).toBe('s2');
    // each move asks for the story it shows
    expect(f.callsTo('sessions.get').map((c) => (c.args as { id: string }).id)).toEqual(['s3', 's2', 's1', 's2']);
  });

  it('re-reads the open session when one of its requests starts or settles, not for progress', async () => {
    const f = fakeApi({ sessions: [session('s1')] });
    const sch = manualScheduler();
    const app = createAppStore(f.api, sch.scheduler, memoryPrefs());
    const stop = app.actions.start();
    app.actions.openSession('s1');
    await settle();
    const gets = () => f.callsTo('sessions.get').length;
    const before = gets();
    const r = summaryFixture({ id: 'x', sessionId: 's1', startedAt: NOW - 5 });
    f.push(records('progress', r));
    sch.runFrame();
    expect(gets()).toBe(before);
    f.push(records('started', { ...r, id: 'y', sessionId: 'other' }));
    sch.runFrame();
    expect(gets()).toBe(before);
    f.push(records('finished', { ...r, outcome: 'completed' }));
    sch.runFrame();
    expect(gets()).toBe(before + 1);
    stop();
  });
});

describe('the detail’s attempts of its turn', () => {
  it('loads them with the request, and again when another attempt of the turn arrives', async () => {
    const turn = { a1: [attempt('a1', 1), attempt('a2', 2)] };
    const f = fakeApi({ turns: turn });
    const sch = manualScheduler();
    const app = createAppStore(f.api, sch.scheduler, memoryPrefs());
    const stop = app.actions.start();
    await settle();
    app.actions.openDetail('a1');
    await settle();
    expect(app.store.getState().detail.attempts?.attempts.map((a) => a.recordId)).toEqual(['a1', 'a2']);
    // The record's own turn id comes from requests.get: the fixture's is its own id.
    const before = f.callsTo('requests.attempts').length;
    f.push(records('started', summaryFixture({ id: 'a3', turnId: 'a1', attempt: 3, startedAt: NOW })));
    sch.runFrame();
    await settle();
    expect(f.callsTo('requests.attempts').length).toBe(before + 1);
    // An unrelated request does not ask again.
    f.push(records('started', summaryFixture({ id: 'z', turnId: 'z', startedAt: NOW })));
    sch.runFrame();
    expect(f.callsTo('requests.attempts').length).toBe(before + 1);
    app.actions.closeDetail();
    expect(app.store.getState().detail.attempts).toBeNull();
    stop();
  });
});

describe('folding retries in the timeline', () => {
  const rows = [
    summaryFixture({ id: 'a3', turnId: 'a1', attempt: 3, startedAt: 50 }),
    summaryFixture({ id: 'b', startedAt: 40 }),
    summaryFixture({ id: 'a2', turnId: 'a1', attempt: 2, startedAt: 30 }),
    summaryFixture({ id: 'a1', turnId: 'a1', attempt: 1, startedAt: 20 }),
  ];

  it('is remembered, and read back by the next app', () => {
    const prefs = memoryPrefs();
    const app = createAppStore(fakeApi().api, manualScheduler().scheduler, prefs);
    expect(app.store.getState().foldRetries).toBe(false);
    app.actions.setFoldRetries(true);
    expect(prefs.values[FOLD_RETRIES_PREF]).toBe('true');
    expect(createAppStore(fakeApi().api, manualScheduler().scheduler, prefs).store.getState().foldRetries).toBe(true);
  });

  it('the keys move over the rows shown: folded turns count once, an open turn’s attempts each', async () => {
    const app = createAppStore(fakeApi({ rows }).api, manualScheduler().scheduler, memoryPrefs({ [FOLD_RETRIES_PREF]: 'true' }));
    await app.actions.reload();
    const order: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      app.actions.moveSelection(1);
      order.push(app.store.getState().selectedId);
    }
    expect(order).toEqual(['a3', 'b', 'b']);
    // Opened, the turn's earlier attempts sit between its row and b.
    app.actions.toggleTurn('a1', true);
    app.actions.moveSelection(-1);
    expect(app.store.getState().selectedId).toBe('a1');
    app.actions.moveSelection(-1);
    expect(app.store.getState().selectedId).toBe('a2');
  });

  it('closing a turn whose earlier attempt is selected moves the selection to the turn’s row', async () => {
    const app = createAppStore(fakeApi({ rows }).api, manualScheduler().scheduler, memoryPrefs({ [FOLD_RETRIES_PREF]: 'true' }));
    await app.actions.reload();
    app.actions.toggleTurn('a1');
    app.actions.select('a1');
    app.actions.toggleTurn('a1');
    expect(app.store.getState().expandedTurns.has('a1')).toBe(false);
    expect(app.store.getState().selectedId).toBe('a3');
    // forcing the state it already has changes nothing
    const before = app.store.getState().expandedTurns;
    app.actions.toggleTurn('a1', false);
    expect(app.store.getState().expandedTurns).toBe(before);
  });
});

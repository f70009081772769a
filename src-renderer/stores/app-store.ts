// The dashboard's state: one zustand store with the timeline, the open request, the
// sessions, status and exports, plus the actions that load them through the
// RendererApi. Live events are queued and applied once per animation frame in ONE
// set() (HTTP Toolkit's events store), so a flood of progress updates costs one render
// per frame; a malformed event is reported and dropped (parseLiveEvent). No DOM and no
// React here: the scheduler is injected, so tests drive it from Node.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppStatus, ExportFormat, Facets, HistogramResult, LiveEvent, SessionDetail, SessionSummary, SummaryStats, TurnAttempts } from '../../src-main/common/contract.js';
import type { RecordFilter, RequestRecord, RequestSummary } from '../../src-main/common/record.js';
import type { ConnectionState, RendererApi } from '../api/streamtap-api.js';
import { errorMessage } from '../api/streamtap-api.js';
import { parseLiveEvent } from '../api/live-event.js';
import { timelineRows } from '../lib/fold.js';
import { cursorAfter, compareRows, mergeChanges, mergeHead, type RowChange } from '../lib/rows.js';
import { mergeLive } from '../lib/live-detail.js';
import { DEFAULT_SORT, SORT_LOAD_CAP, type Sort } from '../lib/sort.js';
import { throttle, type Throttled } from '../lib/throttle.js';
import { EMPTY_SESSIONS_FILTER, EMPTY_UI_FILTER, sessionFilter, toRecordFilter, toSessionFilter, type SessionsUiFilter, type UiFilter } from '../lib/ui-filter.js';

export type View = 'timeline' | 'sessions' | 'setup' | 'settings';

export const PAGE_SIZE = 200;
/** Buckets of the requests-over-time chart. */
export const HISTOGRAM_BUCKETS = 60;
/** How long a browser download may stay silent before we call it "started" and stop waiting. */
const DOWNLOAD_QUIET_MS = 4000;
/**
 * Safety net for live rows: when requests are shown in progress but no record change has
 * arrived for this long, the newest page is re-read. A push that never came (a stream
 * that began before this page subscribed, a dropped connection) must not leave a row
 * "in progress" forever; a genuinely stalled stream costs one small query per period.
 */
export const LIVE_RECHECK_MS = 3000;

export interface ExportJob {
  id: string;
  format: ExportFormat;
  state: 'running' | 'done' | 'failed' | 'canceled';
  written: number;
  /** where the file went (Electron save dialog) */
  path: string | null;
  message: string | null;
  /** transport: a browser download or a file written by the desktop app */
  mode: 'download' | 'file' | null;
}

export interface DetailState {
  id: string | null;
  record: RequestRecord | null;
  loading: boolean;
  error: string | null;
  /** every attempt of the open request's turn (its own included), for "retry of" / "retried as" */
  attempts: TurnAttempts | null;
}

/** The session open in the sessions view. */
export interface SessionState {
  id: string | null;
  detail: SessionDetail | null;
  loading: boolean;
  error: string | null;
}

/** Where the view preferences are kept between runs (localStorage in the page). */
export interface Prefs {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

type StorageGlobal = { window?: { localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void } } };

/** localStorage, where the page has one; a page without it (or refusing it) just forgets.
 * Looked up through `window` so that Node (the store's tests) never touches its own. */
export const browserPrefs: Prefs = {
  get(key) {
    try {
      return (globalThis as StorageGlobal).window?.localStorage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      (globalThis as StorageGlobal).window?.localStorage?.setItem(key, value);
    } catch {
      // storage full or refused: the preference lasts until the page closes
    }
  },
};

export const FOLD_RETRIES_PREF = 'streamtap.timeline.foldRetries';

export interface AppState {
  connection: ConnectionState;
  connectionDetail: string | null;
  status: AppStatus | null;
  view: View;

  filter: UiFilter;
  /** the concrete filter of the loaded list (relative time ranges resolved) */
  query: RecordFilter;
  rows: RequestSummary[];
  hasMore: boolean;
  loading: boolean;
  listError: string | null;
  selectedId: string | null;
  summary: SummaryStats | null;
  /** requests and failures over time for the current filter (the chart above the table) */
  histogram: HistogramResult | null;
  facets: Facets;
  /** the table's order; other than newest first, the loaded rows are sorted locally */
  sort: Sort;
  /** one row per turn with "×N" for its attempts (a view preference, remembered) */
  foldRetries: boolean;
  /** folded turns whose attempts are shown (by turn id) */
  expandedTurns: ReadonlySet<string>;

  detail: DetailState;

  sessions: SessionSummary[];
  sessionsLoading: boolean;
  sessionsError: string | null;
  sessionsFilter: SessionsUiFilter;
  /** the highlighted session of the list, whose story is shown */
  selectedSessionId: string | null;
  session: SessionState;

  exports: ExportJob[];
  /** a short-lived message (copied, saved…) */
  notice: { text: string; tone: 'ok' | 'bad' } | null;
}

export interface Scheduler {
  /** run `cb` at the next animation frame (or soon); returns a cancel function */
  frame(cb: () => void): () => void;
  now(): number;
  warn(message: string, value?: unknown): void;
}

type RafGlobal = { requestAnimationFrame?: (cb: () => void) => number; cancelAnimationFrame?: (id: number) => void };

/**
 * requestAnimationFrame, with a timeout as a backstop: a hidden window (minimised to the
 * tray, a background tab) gets no frames, and the queue must not grow without bound.
 */
export const browserScheduler: Scheduler = {
  frame(cb) {
    const g = globalThis as RafGlobal;
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      if (raf !== null) g.cancelAnimationFrame?.(raf);
      clearTimeout(timer);
      cb();
    };
    const raf = g.requestAnimationFrame ? g.requestAnimationFrame(once) : null;
    const timer = setTimeout(once, 250);
    return () => {
      done = true;
      if (raf !== null) g.cancelAnimationFrame?.(raf);
      clearTimeout(timer);
    };
  },
  now: () => Date.now(),
  warn: (m, v) => console.warn(m, v),
};

export interface AppActions {
  /** subscribes to the live feed and loads everything; returns the cleanup */
  start(): () => void;
  setView(view: View): void;
  setFilter(patch: Partial<UiFilter>): void;
  resetFilter(): void;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  refreshSummary(): Promise<void>;
  refreshHistogram(): Promise<void>;
  setSort(sort: Sort): void;
  refreshFacets(): Promise<void>;
  select(id: string | null): void;
  moveSelection(delta: number): void;
  openDetail(id: string): void;
  closeDetail(): void;
  loadSessions(): Promise<void>;
  setSessionsFilter(patch: Partial<SessionsUiFilter>): void;
  resetSessionsFilter(): void;
  /** selects a session in the list and loads its story (null: back to the list) */
  openSession(id: string | null): void;
  moveSessionSelection(delta: number): void;
  /** the sessions view with this session's story open (from a request's detail) */
  showSessionStory(sessionId: string): void;
  setFoldRetries(fold: boolean): void;
  /** shows (or hides) a folded turn's other attempts; `open` forces one way */
  toggleTurn(turnId: string, open?: boolean): void;
  /** the timeline filtered to one session (by id, or by client and span when inferred) */
  showSession(session: { sessionId: string; inferred: boolean; client: string | null; startedAt: number; endedAt: number | null }): void;
  runExport(format: ExportFormat): Promise<void>;
  dismissExport(id: string): void;
  setPaused(paused: boolean): Promise<void>;
  notify(text: string, tone?: 'ok' | 'bad'): void;
  /** queue a live event (what subscribe() delivers); applied at the next frame */
  ingest(event: unknown): void;
  /** apply the queue now (tests, and the frame callback) */
  flush(): void;
}

export interface App {
  store: StoreApi<AppState>;
  actions: AppActions;
  api: RendererApi;
}

const EMPTY_FACETS: Facets = { models: [], clients: [], upstreams: [], sessions: [] };

function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `x${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

export function createApp(api: RendererApi, scheduler: Scheduler = browserScheduler, prefs: Prefs = browserPrefs): App {
  const now = scheduler.now;
  const initialQuery = toRecordFilter(EMPTY_UI_FILTER, now());
  const store = createStore<AppState>()(() => ({
    connection: 'connecting',
    connectionDetail: null,
    status: null,
    view: 'timeline',
    filter: EMPTY_UI_FILTER,
    query: initialQuery,
    rows: [],
    hasMore: true,
    loading: false,
    listError: null,
    selectedId: null,
    summary: null,
    histogram: null,
    facets: EMPTY_FACETS,
    sort: DEFAULT_SORT,
    foldRetries: prefs.get(FOLD_RETRIES_PREF) === 'true',
    expandedTurns: new Set<string>(),
    detail: { id: null, record: null, loading: false, error: null, attempts: null },
    sessions: [],
    sessionsLoading: false,
    sessionsError: null,
    sessionsFilter: EMPTY_SESSIONS_FILTER,
    selectedSessionId: null,
    session: { id: null, detail: null, loading: false, error: null },
    exports: [],
    notice: null,
  }));
  const get = store.getState;
  const set = store.setState;

  // ---- bookkeeping outside the reactive state -------------------------------------
  let generation = 0;
  let pageRequest: Promise<void> | null = null;
  /** live changes seen while a page request is in flight, re-applied to its answer */
  let changesDuringLoad: RowChange[] | null = null;
  let queue: unknown[] = [];
  let cancelFrame: (() => void) | null = null;
  let noticeTimer: ReturnType<typeof setTimeout> | null = null;
  const downloadTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let detailSeq = 0;
  let attemptsSeq = 0;
  let sessionsSeq = 0;
  let sessionSeq = 0;
  /** the next sessions list picks its first session when none is open (opening the view) */
  let pickFirstSession = false;
  let lastChangeAt = now();

  const later: Throttled[] = [];
  const refreshSummarySoon = throttle(() => void actions.refreshSummary(), 1500);
  const refreshFacetsSoon = throttle(() => void actions.refreshFacets(), 5000);
  // A whole-set scan like the summary's (half a second at 100,000 rows), for a chart
  // whose bars move slowly: less often than the numbers.
  const refreshHistogramSoon = throttle(() => void actions.refreshHistogram(), 10_000);
  const refreshHeadSoon = throttle(() => void refreshHead(), 2000);
  const refreshSessionsSoon = throttle(() => void actions.loadSessions(), 2500);
  const refreshDetailSoon = throttle(() => void loadDetail(get().detail.id, true), 700);
  const refreshAttemptsSoon = throttle(() => void loadAttempts(get().detail.id), 1000);
  const refreshSessionSoon = throttle(() => void loadSession(get().session.id), 1500);
  later.push(refreshSummarySoon, refreshHistogramSoon, refreshFacetsSoon, refreshHeadSoon, refreshSessionsSoon, refreshDetailSoon, refreshAttemptsSoon, refreshSessionSoon);

  /** The open request's turn: its attempts, to link to the others. */
  async function loadAttempts(id: string | null): Promise<void> {
    if (id === null) return;
    const seq = ++attemptsSeq;
    try {
      const attempts = await api.call('requests.attempts', { id });
      if (seq !== attemptsSeq || get().detail.id !== id) return;
      set({ detail: { ...get().detail, attempts } });
    } catch {
      // the links are a convenience: the detail stands without them
    }
  }

  async function loadSession(id: string | null): Promise<void> {
    if (id === null) return;
    const seq = ++sessionSeq;
    try {
      const detail = await api.call('sessions.get', { id });
      if (seq !== sessionSeq || get().session.id !== id) return;
      set({ session: { id, detail, loading: false, error: detail ? null : 'This session is no longer in the database.' } });
    } catch (err) {
      if (seq !== sessionSeq || get().session.id !== id) return;
      set({ session: { ...get().session, loading: false, error: errorMessage(err) } });
    }
  }

  /** Loads older pages until the whole filtered set (up to SORT_LOAD_CAP) is here to sort. */
  async function loadForSort(): Promise<void> {
    const gen = generation;
    for (let i = 0; i < Math.ceil(SORT_LOAD_CAP / PAGE_SIZE) + 1; i++) {
      if (pageRequest) await pageRequest;
      const s = get();
      if (gen !== generation || s.sort.key === 'time' || !s.hasMore || s.listError || s.rows.length >= SORT_LOAD_CAP) return;
      await actions.loadMore();
    }
  }

  async function loadDetail(id: string | null, quiet: boolean): Promise<void> {
    if (id === null) return;
    const seq = ++detailSeq;
    if (!quiet) set({ detail: { id, record: null, loading: true, error: null, attempts: null } });
    try {
      const record = await api.call('requests.get', { id });
      if (seq !== detailSeq || get().detail.id !== id) return;
      set({ detail: { ...get().detail, id, record, loading: false, error: record ? null : 'This request is no longer in the database.' } });
    } catch (err) {
      if (seq !== detailSeq || get().detail.id !== id) return;
      set({ detail: { ...get().detail, loading: false, error: errorMessage(err) } });
    }
  }

  /** Re-reads the newest page and merges it in (text search, where live rows cannot be judged locally). */
  async function refreshHead(): Promise<void> {
    // Answers must land in order: a first page still loading would overwrite this one.
    if (pageRequest) await pageRequest;
    const gen = generation;
    try {
      const page = await api.call('requests.list', { filter: get().query, limit: PAGE_SIZE });
      if (gen !== generation) return;
      const rows = mergeHead(get().rows, page, PAGE_SIZE);
      set({ rows, ...(page.length < PAGE_SIZE ? { hasMore: false } : {}) });
    } catch {
      // the next event or a manual reload tries again
    }
  }

  function applyBatch(events: LiveEvent[]): void {
    const changes: RowChange[] = [];
    let status: AppStatus | null = null;
    const progress = new Map<string, { written: number; done: boolean }>();
    for (const e of events) {
      switch (e.type) {
        case 'records':
          for (const c of e.changes) changes.push(c);
          break;
        case 'status':
          status = e.status;
          break;
        case 'export.progress':
          progress.set(e.exportId, { written: e.written, done: e.done });
          break;
        default: {
          const never: never = e;
          scheduler.warn('streamtap: unhandled live event', never);
        }
      }
    }
    const s = get();
    const patch: Partial<AppState> = {};
    let needsRefresh = false;
    if (changes.length) {
      lastChangeAt = now();
      if (changesDuringLoad) changesDuringLoad.push(...changes);
      const merged = mergeChanges(s.rows, changes, s.query, s.hasMore);
      if (merged.rows !== s.rows) {
        patch.rows = merged.rows;
        // The selected row may have left the list (it no longer matches the filter).
        if (s.selectedId !== null && !merged.rows.some((r) => r.id === s.selectedId)) patch.selectedId = null;
      }
      needsRefresh = merged.needsRefresh;
    }
    if (status) patch.status = status;
    if (progress.size) {
      patch.exports = s.exports.map((job) => {
        const p = progress.get(job.id);
        if (!p) return job;
        const t = downloadTimers.get(job.id);
        if (t) clearTimeout(t);
        downloadTimers.delete(job.id);
        if (p.done && job.mode === 'download') return { ...job, written: p.written, state: 'done' as const, message: null };
        return { ...job, written: p.written };
      });
    }
    // The open request while it streams: its numbers and each new event's arrival go
    // straight into the detail; the whole record is re-read less often (its text).
    const openId = s.detail.id;
    let detailGap = false;
    if (openId !== null && s.detail.record?.outcome === 'in_progress') {
      let record = s.detail.record;
      for (const c of changes) {
        if (c.summary.id !== openId || c.kind === 'finished') continue;
        const merged = mergeLive(record, c.summary, c.ticks);
        record = merged.record;
        detailGap ||= merged.gap;
      }
      if (record !== s.detail.record) patch.detail = { ...s.detail, record };
    }
    // The one store update for this frame.
    if (Object.keys(patch).length) set(patch);

    if (!changes.length) return;
    // Follow-up queries, throttled: never one per event.
    const settledOrNew = changes.some((c) => c.kind !== 'progress');
    if (settledOrNew) refreshSummarySoon();
    if (changes.some((c) => c.kind === 'finished')) refreshHistogramSoon();
    if (needsRefresh && changes.some((c) => c.kind === 'finished')) refreshHeadSoon();
    if (settledOrNew && s.view === 'sessions') refreshSessionsSoon();
    // The open session's story: a new attempt, a settled one.
    if (settledOrNew && s.session.id !== null && changes.some((c) => c.kind !== 'progress' && c.summary.sessionId === s.session.id)) refreshSessionSoon();
    // Another attempt of the open request's turn (a retry arriving, or settling).
    const openTurn = s.detail.record?.turnId;
    if (openTurn !== undefined && changes.some((c) => c.kind !== 'progress' && c.summary.id !== openId && c.summary.turnId === openTurn)) refreshAttemptsSoon();
    const f = s.facets;
    if (
      changes.some(
        (c) =>
          (c.summary.model !== null && !f.models.includes(c.summary.model)) ||
          (c.summary.client !== null && !f.clients.includes(c.summary.client)) ||
          !f.upstreams.includes(c.summary.upstream) ||
          (c.summary.sessionId !== null && !f.sessions.includes(c.summary.sessionId)),
      )
    ) {
      refreshFacetsSoon();
    }
    if (openId !== null) {
      const own = changes.filter((c) => c.summary.id === openId);
      // Settled: re-read at once (its events and bodies are final). A gap in the
      // pushed events: re-read now too. Otherwise the text catches up, throttled.
      if (own.some((c) => c.kind === 'finished')) void loadAttempts(openId);
      if (own.some((c) => c.kind === 'finished') || detailGap) void loadDetail(openId, true);
      else if (own.length) refreshDetailSoon();
    }
  }

  const actions: AppActions = {
    start() {
      const offLive = api.subscribe((e) => actions.ingest(e));
      let firstOpen = true;
      const offConn = api.onConnection((state, detail) => {
        const wasDown = get().connection === 'reconnecting';
        set({ connection: state, connectionDetail: state === 'open' ? null : (detail ?? null) });
        if (state !== 'open') return;
        if (wasDown || detail === 'reconnected') {
          // Events may have been missed while the feed was down: re-query what is shown.
          void actions.reload();
          void api.call('status.get', {}).then((status) => set({ status }), () => {});
        } else if (firstOpen && api.transport === 'http') {
          // The first page may have been read before the event stream was connected;
          // changes in between were never pushed to us. One more look closes that gap.
          void refreshHead();
        }
        firstOpen = false;
      });
      void api.call('status.get', {}).then(
        (status) => set({ status }),
        (err) => actions.notify(errorMessage(err), 'bad'),
      );
      void actions.reload();
      void actions.refreshFacets();
      const recheck = setInterval(() => {
        if (now() - lastChangeAt < LIVE_RECHECK_MS) return;
        const s = get();
        const head = s.rows.length > PAGE_SIZE ? s.rows.slice(0, PAGE_SIZE) : s.rows;
        if (head.some((r) => r.outcome === 'in_progress')) {
          lastChangeAt = now();
          void refreshHead();
          void actions.refreshSummary();
        }
        if (s.detail.record?.outcome === 'in_progress') void loadDetail(s.detail.id, true);
      }, LIVE_RECHECK_MS);
      return () => {
        clearInterval(recheck);
        offLive();
        offConn();
        cancelFrame?.();
        cancelFrame = null;
        for (const t of later) t.cancel();
        for (const t of downloadTimers.values()) clearTimeout(t);
        downloadTimers.clear();
        if (noticeTimer) clearTimeout(noticeTimer);
      };
    },

    setView(view) {
      set({ view });
      if (view === 'sessions') {
        pickFirstSession = get().selectedSessionId === null;
        void actions.loadSessions();
      }
    },

    setFilter(patch) {
      const filter = { ...get().filter, ...patch };
      set({ filter });
      void actions.reload();
    },

    resetFilter() {
      set({ filter: EMPTY_UI_FILTER });
      void actions.reload();
    },

    async reload() {
      const gen = ++generation;
      const query = toRecordFilter(get().filter, now());
      set({ query, loading: true, listError: null });
      changesDuringLoad = [];
      void actions.refreshSummary();
      void actions.refreshHistogram();
      const request = (async () => {
        try {
          const page = await api.call('requests.list', { filter: query, limit: PAGE_SIZE });
          if (gen !== generation) return;
          const hasMore = page.length === PAGE_SIZE;
          const late = changesDuringLoad ?? [];
          const rows = late.length ? mergeChanges(page, late, query, hasMore).rows : page;
          const selectedId = get().selectedId;
          set({ rows, hasMore, loading: false, selectedId: selectedId !== null && rows.some((r) => r.id === selectedId) ? selectedId : null });
        } catch (err) {
          if (gen !== generation) return;
          set({ loading: false, listError: errorMessage(err) });
        } finally {
          if (gen === generation) changesDuringLoad = null;
        }
      })();
      pageRequest = request;
      await request;
      if (pageRequest === request) pageRequest = null;
      if (gen === generation && get().sort.key !== 'time') void loadForSort();
    },

    async loadMore() {
      const s = get();
      if (pageRequest || !s.hasMore || s.loading || s.listError) return;
      const gen = generation;
      const before = cursorAfter(s.rows);
      if (!before) return;
      changesDuringLoad = [];
      set({ loading: true });
      const request = (async () => {
        try {
          const page = await api.call('requests.list', { filter: s.query, limit: PAGE_SIZE, before });
          if (gen !== generation) return;
          const current = get().rows;
          const last = current[current.length - 1];
          // Live inserts may already hold some of these rows: keep only strictly older ones.
          const fresh = last ? page.filter((r) => compareRows(r, last) > 0) : page;
          const hasMore = page.length === PAGE_SIZE;
          let rows = current.concat(fresh);
          const late = changesDuringLoad ?? [];
          if (late.length) rows = mergeChanges(rows, late, s.query, hasMore).rows;
          set({ rows, hasMore, loading: false });
        } catch (err) {
          if (gen !== generation) return;
          set({ loading: false, listError: errorMessage(err) });
        } finally {
          if (gen === generation) changesDuringLoad = null;
        }
      })();
      pageRequest = request;
      await request;
      if (pageRequest === request) pageRequest = null;
    },

    async refreshSummary() {
      const gen = generation;
      const filter = get().query;
      try {
        const summary = await api.call('requests.summary', { filter });
        if (gen === generation) set({ summary });
      } catch {
        // the strip keeps its last numbers; the list shows the error if the store is down
      }
    },

    async refreshHistogram() {
      const gen = generation;
      try {
        const histogram = await api.call('requests.histogram', { filter: get().query, buckets: HISTOGRAM_BUCKETS });
        if (gen === generation) set({ histogram });
      } catch {
        // the chart keeps its last bars
      }
    },

    setSort(sort) {
      set({ sort });
      if (sort.key !== 'time') void loadForSort();
    },

    async refreshFacets() {
      try {
        set({ facets: await api.call('requests.facets', {}) });
      } catch {
        // filters still work with what the user types
      }
    },

    select(id) {
      set({ selectedId: id });
      if (id !== null && get().detail.id !== null && get().detail.id !== id) actions.openDetail(id);
    },

    moveSelection(delta) {
      const s = get();
      const { selectedId } = s;
      // What the table shows, folded or not: the keys move over the visible rows.
      const { rows } = timelineRows(s.rows, s.sort, s.foldRetries, s.expandedTurns);
      if (!rows.length) return;
      const at = selectedId === null ? -1 : rows.findIndex((r) => r.id === selectedId);
      const next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + delta));
      actions.select(rows[next]!.id);
      if (next >= rows.length - 20) void actions.loadMore();
    },

    setFoldRetries(fold) {
      prefs.set(FOLD_RETRIES_PREF, String(fold));
      set({ foldRetries: fold });
    },

    toggleTurn(turnId, open) {
      const s = get();
      const isOpen = s.expandedTurns.has(turnId);
      const want = open ?? !isOpen;
      if (want === isOpen) return;
      const expandedTurns = new Set(s.expandedTurns);
      if (want) expandedTurns.add(turnId);
      else expandedTurns.delete(turnId);
      const patch: Partial<AppState> = { expandedTurns };
      // Folding a turn away hides its earlier attempts: the selection moves to the turn's row.
      if (!want && s.selectedId !== null) {
        const selected = s.rows.find((r) => r.id === s.selectedId);
        if (selected && selected.turnId === turnId) {
          const head = timelineRows(s.rows, s.sort, true, expandedTurns).rows.find((r) => r.turnId === turnId);
          if (head) patch.selectedId = head.id;
        }
      }
      set(patch);
    },

    openDetail(id) {
      set({ selectedId: id, detail: { id, record: null, loading: true, error: null, attempts: null } });
      void loadDetail(id, false);
      void loadAttempts(id);
    },

    closeDetail() {
      detailSeq++;
      attemptsSeq++;
      set({ detail: { id: null, record: null, loading: false, error: null, attempts: null } });
    },

    async loadSessions() {
      const seq = ++sessionsSeq;
      set({ sessionsLoading: true, sessionsError: null });
      const filter = toSessionFilter(get().sessionsFilter, now());
      try {
        const sessions = await api.call('sessions.list', { filter, limit: 500 });
        if (seq !== sessionsSeq) return;
        set({ sessions, sessionsLoading: false });
        const first = sessions[0];
        if (pickFirstSession && get().selectedSessionId === null && first) actions.openSession(first.sessionId);
        pickFirstSession = false;
      } catch (err) {
        if (seq !== sessionsSeq) return;
        set({ sessionsLoading: false, sessionsError: errorMessage(err) });
      }
    },

    setSessionsFilter(patch) {
      set({ sessionsFilter: { ...get().sessionsFilter, ...patch } });
      void actions.loadSessions();
    },

    resetSessionsFilter() {
      set({ sessionsFilter: EMPTY_SESSIONS_FILTER });
      void actions.loadSessions();
    },

    openSession(id) {
      if (id === null) {
        sessionSeq++;
        set({ selectedSessionId: null, session: { id: null, detail: null, loading: false, error: null } });
        return;
      }
      const prev = get().session;
      set({ selectedSessionId: id, session: { id, detail: prev.id === id ? prev.detail : null, loading: true, error: null } });
      void loadSession(id);
    },

    showSessionStory(sessionId) {
      actions.openSession(sessionId);
      actions.setView('sessions');
    },

    moveSessionSelection(delta) {
      const { sessions, selectedSessionId } = get();
      if (!sessions.length) return;
      const at = selectedSessionId === null ? -1 : sessions.findIndex((x) => x.sessionId === selectedSessionId);
      const next = at < 0 ? (delta > 0 ? 0 : sessions.length - 1) : Math.min(sessions.length - 1, Math.max(0, at + delta));
      const target = sessions[next];
      if (target && target.sessionId !== selectedSessionId) actions.openSession(target.sessionId);
    },

    showSession(session) {
      set({ view: 'timeline', filter: sessionFilter(session, now()) });
      void actions.reload();
    },

    async runExport(format) {
      const id = newId();
      const job: ExportJob = { id, format, state: 'running', written: 0, path: null, message: null, mode: null };
      set({ exports: [...get().exports.filter((j) => j.state === 'running'), job] });
      const update = (patch: Partial<ExportJob>): void => set({ exports: get().exports.map((j) => (j.id === id ? { ...j, ...patch } : j)) });
      try {
        const result = await api.call('export.run', { filter: get().query, format, exportId: id });
        switch (result.status) {
          case 'saved':
            update({ state: 'done', written: result.count, path: result.path, mode: 'file' });
            break;
          case 'canceled':
            set({ exports: get().exports.filter((j) => j.id !== id) });
            break;
          case 'downloaded': {
            const { count } = result;
            update({ mode: 'download', ...(count !== null ? { state: 'done', written: count } : {}) });
            if (count === null) {
              // Progress events normally finish the job; if none come (a tiny export, or
              // a server that does not report), stop showing a spinner after a while.
              const quiet = (): void => {
                const j = get().exports.find((x) => x.id === id);
                if (j && j.state === 'running') update({ state: 'done', message: 'Download started' });
              };
              downloadTimers.set(id, setTimeout(quiet, DOWNLOAD_QUIET_MS));
            }
            break;
          }
          default: {
            const never: never = result;
            scheduler.warn('streamtap: unknown export result', never);
          }
        }
      } catch (err) {
        update({ state: 'failed', message: errorMessage(err) });
      }
    },

    dismissExport(id) {
      set({ exports: get().exports.filter((j) => j.id !== id) });
    },

    async setPaused(paused) {
      try {
        set({ status: await api.call('recording.setPaused', { paused }) });
      } catch (err) {
        actions.notify(errorMessage(err), 'bad');
      }
    },

    notify(text, tone = 'ok') {
      if (noticeTimer) clearTimeout(noticeTimer);
      set({ notice: { text, tone } });
      noticeTimer = setTimeout(() => set({ notice: null }), tone === 'bad' ? 6000 : 2500);
    },

    ingest(event) {
      queue.push(event);
      cancelFrame ??= scheduler.frame(() => {
        cancelFrame = null;
        actions.flush();
      });
    },

    flush() {
      if (cancelFrame) {
        cancelFrame();
        cancelFrame = null;
      }
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      const events: LiveEvent[] = [];
      for (const raw of batch) {
        const e = parseLiveEvent(raw, scheduler.warn);
        if (e) events.push(e);
      }
      if (events.length) applyBatch(events);
    },
  };

  return { store, actions, api };
}

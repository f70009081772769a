// The timeline: the filter, the loaded rows (newest first, a page at a time), the
// selection, the summary strip, the chart and the filter choices. Every page request
// goes through one loadPage(), so a page and the live changes that arrive while it is
// in flight always meet the same way.

import type { Facets, Histogram, RequestPage, RequestStats } from '../../../src-main/common/contract.js';
import type { RecordFilter, RequestSummary } from '../../../src-main/common/record.js';
import { errorMessage } from '../../api/streamtap-api.js';
import { timelineRows } from '../../lib/fold.js';
import { compareRows, cursorAfter, mergeChanges, mergeHead, type RowChange } from '../../lib/rows.js';
import { DEFAULT_SORT, SORT_LOAD_CAP, type Sort } from '../../lib/sort.js';
import { EMPTY_UI_FILTER, sessionFilter, toRecordFilter, type UiFilter } from '../../lib/ui-filter.js';
import type { AppState } from '../app-store.js';
import type { Slice, SliceContext } from './context.js';

export const PAGE_SIZE = 200;
/** Buckets of the requests-over-time chart. */
export const HISTOGRAM_BUCKETS = 60;
export const FOLD_RETRIES_PREF = 'streamtap.timeline.foldRetries';

const EMPTY_FACETS: Facets = { models: [], clients: [], upstreams: [], sessions: [] };

export interface TimelineState {
  filter: UiFilter;
  /** the concrete filter of the loaded list (relative time ranges resolved) */
  query: RecordFilter;
  rows: RequestSummary[];
  hasMore: boolean;
  loading: boolean;
  listError: string | null;
  selectedId: string | null;
  summary: RequestStats | null;
  /** requests and failures over time for the current filter (the chart above the table) */
  histogram: Histogram | null;
  facets: Facets;
  /** the table's order; other than newest first, the loaded rows are sorted locally */
  sort: Sort;
  /** one row per turn with "×N" for its attempts (a view preference, remembered) */
  foldRetries: boolean;
  /** folded turns whose attempts are shown (by turn id) */
  expandedTurns: ReadonlySet<string>;
}

export interface TimelineActions {
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
  setFoldRetries(fold: boolean): void;
  /** shows (or hides) a folded turn's other attempts; `open` forces one way */
  toggleTurn(turnId: string, open?: boolean): void;
  /** the timeline filtered to one session (by id, or by client and span when inferred) */
  showSession(session: { sessionId: string; inferred: boolean; client: string | null; startedAt: number; endedAt: number | null }): void;
}

export interface TimelineInternal {
  /** Re-reads the newest page and merges it in (text search, where live rows cannot be judged locally). */
  refreshHead(): Promise<void>;
  /** live changes just applied: a page in flight gets them re-applied to its answer */
  noteLiveChanges(changes: readonly RowChange[]): void;
  /** The changes the rows do not reflect yet, each remembered as applied: a change whose
   * seq is at most the seq of the page its row came from (or, for a row not loaded, of
   * the newest head page) is in the list already and is left out. */
  unapplied(changes: readonly RowChange[]): RowChange[];
}

export function createTimelineSlice(ctx: SliceContext): Slice<TimelineState, TimelineActions, TimelineInternal> {
  const { api, get, set, prefs } = ctx;
  const now = ctx.scheduler.now;
  let generation = 0;
  let pageRequest: Promise<void> | null = null;
  /** live changes seen while a page request is in flight, re-applied to its answer */
  let changesDuringLoad: RowChange[] | null = null;
  // Exactly-once live intake (see CoreLive in the core): what each row reflects. A row's
  // seq is its page's, then that of each change applied to it; a request not in the
  // rows is judged by the newest head page (reload, refreshHead), which covers it.
  const seqById = new Map<string, number>();
  let headSeq = 0;
  /** the rows just placed from a page that reflects `seq` */
  const notePage = (rows: readonly RequestSummary[], seq: number, head: boolean) => {
    for (const r of rows) seqById.set(r.id, seq);
    if (head) headSeq = Math.max(headSeq, seq);
  };
  const unapplied = (changes: readonly RowChange[]): RowChange[] =>
    changes.filter((c) => {
      if (c.seq <= (seqById.get(c.summary.id) ?? headSeq)) return false;
      seqById.set(c.summary.id, c.seq);
      return true;
    });

  /**
   * The one way a page is read: one request in flight at a time, answers of an older
   * generation (the filter changed since) dropped, and the live changes that arrived
   * meanwhile handed to `place`, which turns the page into the list's new state.
   */
  async function loadPage(
    gen: number,
    fetchPage: () => Promise<RequestPage>,
    place: (page: RequestSummary[], hasMore: boolean, late: () => RowChange[], placed: (rows: readonly RequestSummary[], head: boolean) => void) => Partial<AppState>,
  ): Promise<void> {
    changesDuringLoad = [];
    const request = (async () => {
      try {
        const { seq, records: page } = await fetchPage();
        if (gen !== generation) return;
        const seen = changesDuringLoad ?? [];
        // `place` says which rows it took from the page (before asking for the late
        // changes): only the late changes those rows do not reflect are applied again.
        const placed = (rows: readonly RequestSummary[], head: boolean) => notePage(rows, seq, head);
        set({ ...place(page, page.length === PAGE_SIZE, () => unapplied(seen), placed), loading: false });
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

  const internal: TimelineInternal = {
    async refreshHead() {
      // Answers must land in order: a first page still loading would overwrite this one.
      if (pageRequest) await pageRequest;
      const gen = generation;
      try {
        const { seq, records: answer } = await api.call('requests.list', { filter: get().query, limit: PAGE_SIZE });
        if (gen !== generation) return;
        // A row a change newer than this page reached while it was read stays as it is.
        const shown = new Map(get().rows.map((r) => [r.id, r]));
        const page = answer.map((r) => ((seqById.get(r.id) ?? 0) > seq ? (shown.get(r.id) ?? r) : r));
        notePage(
          page.filter((r, i) => r === answer[i]),
          seq,
          true,
        );
        const rows = mergeHead(get().rows, page, PAGE_SIZE);
        set({ rows, ...(page.length < PAGE_SIZE ? { hasMore: false } : {}) });
      } catch {
        // the next event or a manual reload tries again
      }
    },
    noteLiveChanges(changes) {
      if (changesDuringLoad) changesDuringLoad.push(...changes);
    },
    unapplied,
  };

  const actions: TimelineActions = {
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
      void actions.refreshSummary();
      void actions.refreshHistogram();
      await loadPage(
        gen,
        () => api.call('requests.list', { filter: query, limit: PAGE_SIZE }),
        (page, hasMore, lateChanges, placed) => {
          // The rows are replaced: what they reflect starts over from this page.
          seqById.clear();
          headSeq = 0;
          placed(page, true);
          const late = lateChanges();
          const rows = late.length ? mergeChanges(page, late, query, hasMore).rows : page;
          const selectedId = get().selectedId;
          return { rows, hasMore, selectedId: selectedId !== null && rows.some((r) => r.id === selectedId) ? selectedId : null };
        },
      );
      if (gen === generation && get().sort.key !== 'time') void loadForSort();
    },

    async loadMore() {
      const s = get();
      if (pageRequest || !s.hasMore || s.loading || s.listError) return;
      const before = cursorAfter(s.rows);
      if (!before) return;
      set({ loading: true });
      await loadPage(
        generation,
        () => api.call('requests.list', { filter: s.query, limit: PAGE_SIZE, before }),
        (page, hasMore, lateChanges, placed) => {
          const current = get().rows;
          const last = current[current.length - 1];
          // Live inserts may already hold some of these rows: keep only strictly older ones.
          const fresh = last ? page.filter((r) => compareRows(r, last) > 0) : page;
          placed(fresh, false);
          const late = lateChanges();
          let rows = current.concat(fresh);
          if (late.length) rows = mergeChanges(rows, late, s.query, hasMore).rows;
          return { rows, hasMore };
        },
      );
    },

    async refreshSummary() {
      const gen = generation;
      const filter = get().query;
      try {
        const summary = await api.call('requests.stats', { filter });
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
      if (id !== null && get().detail.id !== null && get().detail.id !== id) ctx.actions().openDetail(id);
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

    showSession(session) {
      set({ view: 'timeline', filter: sessionFilter(session, now()) });
      void actions.reload();
    },
  };

  const initial: TimelineState = {
    filter: EMPTY_UI_FILTER,
    query: toRecordFilter(EMPTY_UI_FILTER, now()),
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
  };
  return { initial, actions, internal };
}

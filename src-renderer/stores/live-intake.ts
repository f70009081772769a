// Live events into the store: queued and applied once per animation frame in ONE set()
// (HTTP Toolkit's events store), so a flood of progress updates costs one render per
// frame; a malformed event is reported and dropped (parseLiveEvent). What a batch
// cannot settle locally is re-read by throttled follow-up queries, never one per event.
// Each change carries the core's sequence number and each page of requests.list the one
// it reflects, so a change reaches the rows exactly once (TimelineInternal.unapplied):
// no polling is needed to catch a change that fell between a page and the feed.

import type { AppStatus, LiveEvent } from '../../src-main/common/contract.js';
import { parseLiveEvent } from '../api/live-event.js';
import { mergeChanges, type RowChange } from '../lib/rows.js';
import { throttle, type Throttled } from '../lib/throttle.js';
import type { AppState } from './app-store.js';
import type { SliceContext } from './slices/context.js';
import { liveDetail, type DetailInternal } from './slices/detail.js';
import type { ExportsInternal } from './slices/exports.js';
import type { SessionsInternal } from './slices/sessions.js';
import type { TimelineInternal } from './slices/timeline.js';

export interface LiveIntake {
  /** queue a live event (what subscribe() delivers); applied at the next frame */
  ingest(event: unknown): void;
  /** apply the queue now (tests, and the frame callback) */
  flush(): void;
  /** returns the stop, which drops what is pending and cancels the follow-up queries */
  start(): () => void;
}

export function createLiveIntake(
  ctx: SliceContext,
  slices: { timeline: TimelineInternal; detail: DetailInternal; sessions: SessionsInternal; exports: ExportsInternal },
): LiveIntake {
  const { get, set, scheduler } = ctx;
  const { timeline, detail } = slices;
  let queue: unknown[] = [];
  let cancelFrame: (() => void) | null = null;

  const refreshSummarySoon = throttle(() => void ctx.actions().refreshSummary(), 1500);
  const refreshFacetsSoon = throttle(() => void ctx.actions().refreshFacets(), 5000);
  // A whole-set scan like the summary's (half a second at 100,000 rows), for a chart
  // whose bars move slowly: less often than the numbers.
  const refreshHistogramSoon = throttle(() => void ctx.actions().refreshHistogram(), 10_000);
  const refreshHeadSoon = throttle(() => void timeline.refreshHead(), 2000);
  const refreshSessionsSoon = throttle(() => void ctx.actions().loadSessions(), 2500);
  const refreshDetailSoon = throttle(() => void detail.loadDetail(get().detail.id, true), 700);
  const refreshAttemptsSoon = throttle(() => void detail.loadAttempts(get().detail.id), 1000);
  const refreshSessionSoon = throttle(() => void slices.sessions.loadSession(get().session.id), 1500);
  const later: Throttled[] = [
    refreshSummarySoon,
    refreshHistogramSoon,
    refreshFacetsSoon,
    refreshHeadSoon,
    refreshSessionsSoon,
    refreshDetailSoon,
    refreshAttemptsSoon,
    refreshSessionSoon,
  ];

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
    const fresh = timeline.unapplied(changes);
    if (fresh.length) {
      timeline.noteLiveChanges(fresh);
      const merged = mergeChanges(s.rows, fresh, s.query, s.hasMore);
      if (merged.rows !== s.rows) {
        patch.rows = merged.rows;
        // The selected row may have left the list (it no longer matches the filter).
        if (s.selectedId !== null && !merged.rows.some((r) => r.id === s.selectedId)) patch.selectedId = null;
      }
      needsRefresh = merged.needsRefresh;
    }
    if (status) patch.status = status;
    if (progress.size) patch.exports = slices.exports.withProgress(s.exports, progress);
    const openId = s.detail.id;
    const live = liveDetail(s.detail, changes);
    if (live.detail !== s.detail) patch.detail = live.detail;
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
      if (own.some((c) => c.kind === 'finished')) void detail.loadAttempts(openId);
      if (own.some((c) => c.kind === 'finished') || live.gap) void detail.loadDetail(openId, true);
      else if (own.length) refreshDetailSoon();
    }
  }

  const intake: LiveIntake = {
    ingest(event) {
      queue.push(event);
      cancelFrame ??= scheduler.frame(() => {
        cancelFrame = null;
        intake.flush();
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

    start() {
      return () => {
        cancelFrame?.();
        cancelFrame = null;
        for (const t of later) t.cancel();
      };
    },
  };
  return intake;
}

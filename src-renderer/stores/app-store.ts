// The dashboard's state: one zustand store made of slices (zustand's slices pattern),
// each owning its part of the state and the actions that load it through the
// RendererApi: timeline, detail, sessions, exports, notices (slices/). Live events go
// through the live intake (live-intake.ts), applied once per animation frame. This file
// holds the connection, status and view, and starts it all. No DOM and no React here:
// the scheduler is injected, so tests drive it from Node.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppStatus } from '../../src-main/common/contract.js';
import type { ConnectionState, RendererApi } from '../api/streamtap-api.js';
import { errorMessage } from '../api/streamtap-api.js';
import { createLiveIntake, type LiveIntake } from './live-intake.js';
import { browserPrefs, browserScheduler, type Prefs, type Scheduler } from './platform.js';
import type { SliceContext } from './slices/context.js';
import { createDetailSlice, type DetailActions, type DetailState } from './slices/detail.js';
import { createExportsSlice, type ExportJob, type ExportsActions } from './slices/exports.js';
import { createNoticesSlice, type Notice, type NoticesActions } from './slices/notices.js';
import { createSessionsSlice, type SessionsActions, type SessionsState } from './slices/sessions.js';
import { createTimelineSlice, type TimelineActions, type TimelineState } from './slices/timeline.js';

export { browserPrefs, browserScheduler, type Prefs, type Scheduler } from './platform.js';
export type { DetailState } from './slices/detail.js';
export type { ExportJob } from './slices/exports.js';
export type { SessionState } from './slices/sessions.js';
export { FOLD_RETRIES_PREF, HISTOGRAM_BUCKETS, PAGE_SIZE } from './slices/timeline.js';

export type View = 'timeline' | 'sessions' | 'setup' | 'settings';

export interface AppState extends TimelineState, SessionsState {
  connection: ConnectionState;
  connectionDetail: string | null;
  status: AppStatus | null;
  view: View;
  detail: DetailState;
  exports: ExportJob[];
  /** a short-lived message (copied, saved…) */
  notice: Notice | null;
}

export interface AppActions extends TimelineActions, DetailActions, SessionsActions, ExportsActions, NoticesActions, Omit<LiveIntake, 'start'> {
  /** subscribes to the live feed and loads everything; returns the cleanup */
  start(): () => void;
  setView(view: View): void;
  setPaused(paused: boolean): Promise<void>;
}

export interface App {
  store: StoreApi<AppState>;
  actions: AppActions;
  api: RendererApi;
}

export function createAppStore(api: RendererApi, scheduler: Scheduler = browserScheduler, prefs: Prefs = browserPrefs): App {
  let store: StoreApi<AppState> | null = null;
  const ctx: SliceContext = {
    api,
    scheduler,
    prefs,
    get: () => live().getState(),
    set: (patch) => live().setState(patch),
    actions: () => actions,
  };
  function live(): StoreApi<AppState> {
    if (!store) throw new Error('the app store is used before it is made');
    return store;
  }
  const timeline = createTimelineSlice(ctx);
  const detail = createDetailSlice(ctx);
  const sessions = createSessionsSlice(ctx);
  const exports = createExportsSlice(ctx);
  const notices = createNoticesSlice(ctx);
  const intake = createLiveIntake(ctx, { timeline: timeline.internal, detail: detail.internal, sessions: sessions.internal, exports: exports.internal });
  store = createStore<AppState>()(() => ({
    connection: 'connecting',
    connectionDetail: null,
    status: null,
    view: 'timeline',
    ...timeline.initial,
    ...detail.initial,
    ...sessions.initial,
    ...exports.initial,
    ...notices.initial,
  }));
  const { get, set } = ctx;

  const actions: AppActions = {
    ...timeline.actions,
    ...detail.actions,
    ...sessions.actions,
    ...exports.actions,
    ...notices.actions,
    ingest: intake.ingest,
    flush: intake.flush,

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
          // changes in between were never pushed to us. One more look closes that gap,
          // for the summary strip and the chart as well as the rows: a request settled
          // in that gap left the strip counting it "in progress" until the next change.
          void timeline.internal.refreshHead();
          void actions.refreshSummary();
          void actions.refreshHistogram();
        }
        firstOpen = false;
      });
      void api.call('status.get', {}).then(
        (status) => set({ status }),
        (err) => actions.notify(errorMessage(err), 'bad'),
      );
      void actions.reload();
      void actions.refreshFacets();
      const stopIntake = intake.start();
      return () => {
        stopIntake();
        offLive();
        offConn();
        exports.internal.stop();
        notices.internal.stop();
      };
    },

    setView(view) {
      set({ view });
      if (view === 'sessions') {
        sessions.internal.opening();
        void actions.loadSessions();
      }
    },

    async setPaused(paused) {
      try {
        set({ status: await api.call('recording.setPaused', { paused }) });
      } catch (err) {
        actions.notify(errorMessage(err), 'bad');
      }
    },
  };

  return { store, actions, api };
}

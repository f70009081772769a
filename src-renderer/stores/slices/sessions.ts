// The sessions view: the list (with its own filter), the highlighted session and its
// story.

import type { SessionDetail, SessionSummary } from '../../../src-main/common/contract.js';
import { errorMessage } from '../../api/streamtap-api.js';
import { EMPTY_SESSIONS_FILTER, toSessionFilter, type SessionsUiFilter } from '../../lib/ui-filter.js';
import type { Slice, SliceContext } from './context.js';

/** The session open in the sessions view. */
export interface SessionState {
  id: string | null;
  detail: SessionDetail | null;
  loading: boolean;
  error: string | null;
}

export interface SessionsState {
  sessions: SessionSummary[];
  sessionsLoading: boolean;
  sessionsError: string | null;
  sessionsFilter: SessionsUiFilter;
  /** the highlighted session of the list, whose story is shown */
  selectedSessionId: string | null;
  session: SessionState;
}

export interface SessionsActions {
  loadSessions(): Promise<void>;
  setSessionsFilter(patch: Partial<SessionsUiFilter>): void;
  resetSessionsFilter(): void;
  /** selects a session in the list and loads its story (null: back to the list) */
  openSession(id: string | null): void;
  moveSessionSelection(delta: number): void;
  /** the sessions view with this session's story open (from a request's detail) */
  showSessionStory(sessionId: string): void;
}

export interface SessionsInternal {
  /** (re-)reads a session's story */
  loadSession(id: string | null): Promise<void>;
  /** the view is being opened: its next list picks the first session when none is open */
  opening(): void;
}

export function createSessionsSlice(ctx: SliceContext): Slice<SessionsState, SessionsActions, SessionsInternal> {
  const { api, get, set } = ctx;
  const now = ctx.scheduler.now;
  let sessionsSeq = 0;
  let sessionSeq = 0;
  /** the next sessions list picks its first session when none is open (opening the view) */
  let pickFirstSession = false;

  const internal: SessionsInternal = {
    async loadSession(id) {
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
    },
    opening() {
      pickFirstSession = get().selectedSessionId === null;
    },
  };

  const actions: SessionsActions = {
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
      void internal.loadSession(id);
    },

    showSessionStory(sessionId) {
      actions.openSession(sessionId);
      ctx.actions().setView('sessions');
    },

    moveSessionSelection(delta) {
      const { sessions, selectedSessionId } = get();
      if (!sessions.length) return;
      const at = selectedSessionId === null ? -1 : sessions.findIndex((x) => x.sessionId === selectedSessionId);
      const next = at < 0 ? (delta > 0 ? 0 : sessions.length - 1) : Math.min(sessions.length - 1, Math.max(0, at + delta));
      const target = sessions[next];
      if (target && target.sessionId !== selectedSessionId) actions.openSession(target.sessionId);
    },
  };

  const initial: SessionsState = {
    sessions: [],
    sessionsLoading: false,
    sessionsError: null,
    sessionsFilter: EMPTY_SESSIONS_FILTER,
    selectedSessionId: null,
    session: { id: null, detail: null, loading: false, error: null },
  };
  return { initial, actions, internal };
}

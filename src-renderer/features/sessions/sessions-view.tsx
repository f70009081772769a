// Agent sessions and how each one ended: the last request's outcome and diagnosis, one
// click from its detail; another click shows the session's requests in the timeline.

import { useEffect } from 'react';
import type { SessionSummary } from '../../../src-main/common/contract.js';
import { KindBadge } from '../../components/outcome-badge.js';
import { formatDuration, formatTokens, formatWhen } from '../../lib/format.js';
import { badgeFor } from '../../lib/outcome.js';
import { countOf } from '../../lib/words.js';
import { useActions, useAppShallow } from '../../stores/app-context.js';

function Ending({ s }: { s: SessionSummary }) {
  if (s.lastOutcome === null) return <span className="faint">–</span>;
  const b = badgeFor({ outcome: s.lastOutcome, truncated: s.lastTruncated, httpStatus: null });
  return <KindBadge kind={b.kind} />;
}

export function SessionsView() {
  const actions = useActions();
  const { sessions, loading, error } = useAppShallow((s) => ({ sessions: s.sessions, loading: s.sessionsLoading, error: s.sessionsError }));
  useEffect(() => {
    void actions.loadSessions();
  }, [actions]);

  return (
    <section className="sessions" aria-label="Sessions">
      <div className="view-head">
        <h1>Sessions</h1>
        <p className="faint">
          Requests grouped by agent session: the session id a tool sends, else the same client and key within a short gap. How a session ended is how its
          last request ended.
        </p>
      </div>
      {error ? <div className="note bad">{error}</div> : null}
      {!loading && sessions.length === 0 && !error ? <div className="empty-inline faint">No sessions yet.</div> : null}
      <div className="session-list" data-testid="sessions">
        {sessions.map((s) => (
          <div key={s.sessionId} className="session" data-session={s.sessionId}>
            <div className="session-main">
              <div className="session-line">
                <span className="session-client">{s.client ?? 'unknown client'}</span>
                <span className="faint num">{formatWhen(s.startedAt)}</span>
                <span className="faint">·</span>
                <span className="num" title="From the first request to the last activity">
                  {formatDuration(s.endedAt !== null ? s.endedAt - s.startedAt : null)}
                </span>
                <span className="faint">·</span>
                <span className="num">{countOf(s.requests, 'request')}</span>
                <span className="faint">·</span>
                <span className="num">
                  {formatTokens(s.usage.inputTokens)} in / {formatTokens(s.usage.outputTokens)} out
                </span>
                {s.inferred ? (
                  <span className="tag" title="No session header: grouped by client, credential and time gap">
                    inferred
                  </span>
                ) : null}
              </div>
              <div className="session-end">
                <span className="faint">ended:</span> <Ending s={s} />
                <span className="session-diagnosis">{s.lastDiagnosis ?? ''}</span>
              </div>
              <div className="session-id faint mono">{s.sessionId}</div>
            </div>
            <div className="session-actions">
              {s.lastRequestId ? (
                <button type="button" className="btn" onClick={() => actions.openDetail(s.lastRequestId!)} data-testid="session-last">
                  Last request
                </button>
              ) : null}
              <button type="button" className="btn" onClick={() => actions.showSession(s)} data-testid="session-requests">
                All requests
              </button>
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}

// Agent sessions, and the story of the one selected — the answer to "why was my agent
// session cut off?". On the left the sessions (searchable; filtered by client, ending
// and time), each with its ending badge and diagnosis; on the right the selected one:
// its ending first, then its turns in order, each with its prompt, its context against
// the model's window, tokens and cost, and the attempts that carried it (outcome, TTFT,
// duration, why it failed). Clicking an attempt opens that request's detail. In a
// narrow view (the detail open in a small window) the story takes the whole width and
// "‹ Sessions" goes back to the list.

import { forwardRef, useCallback, useEffect, useRef } from 'react';
import type { SessionDetail, SessionSummary, SessionTurn, TurnAttempt, TurnContext } from '../../../src-main/common/contract.js';
import type { Usage } from '../../../src-main/common/record.js';
import { AttemptBadge, EndingBadge } from '../../components/outcome-badge.js';
import { MultiSelect, type Option } from '../../components/multi-select.js';
import { SearchBox } from '../../components/search-box.js';
import { useNow } from '../../components/use-now.js';
import { ENDING_ORDER, endingInfo } from '../../lib/ending.js';
import { formatCost, formatDuration, formatInt, formatPercent, formatTimestamp, formatWhen } from '../../lib/format.js';
import { isSessionsFilterActive, TIME_RANGES, type TimeRangeId } from '../../lib/ui-filter.js';
import { countOf } from '../../lib/words.js';
import { useActions, useAppShallow, useAppState } from '../../stores/app-context.js';
import { Tokens } from '../timeline/timeline-row.js';


export const SessionsView = forwardRef<HTMLInputElement>(function SessionsView(_props, searchRef) {
  const actions = useActions();
  const { sessions, loading, error, selectedId, filtered } = useAppShallow((s) => ({
    sessions: s.sessions,
    loading: s.sessionsLoading,
    error: s.sessionsError,
    selectedId: s.selectedSessionId,
    filtered: isSessionsFilterActive(s.sessionsFilter),
  }));
  return (
    <section className="sessions" aria-label="Sessions">
      <div className="toolbar sessions-toolbar">
        <SessionsFilterBar ref={searchRef} />
      </div>
      <div className={`sessions-split${selectedId !== null ? ' has-session' : ''}`}>
        <div className="session-list-pane">
          <div className="session-count faint" data-testid="session-count">
            {loading && sessions.length === 0 ? 'Loading…' : countOf(sessions.length, 'session')}
          </div>
          {error ? <div className="note bad">{error}</div> : null}
          {!loading && sessions.length === 0 && !error ? (
            <div className="empty-inline faint">
              {filtered ? (
                <>
                  No session matches these filters.{' '}
                  <button type="button" className="btn btn-link" onClick={() => actions.resetSessionsFilter()}>
                    Clear filters
                  </button>
                </>
              ) : (
                'No sessions yet: point a tool at Streamtap and its sessions appear here.'
              )}
            </div>
          ) : null}
          <div className="session-list" role="listbox" aria-label="Sessions, latest first" data-testid="sessions">
            {sessions.map((s) => (
              <SessionItem key={s.sessionId} s={s} selected={s.sessionId === selectedId} />
            ))}
          </div>
        </div>
        <SessionStory />
      </div>
    </section>
  );
});

const SessionsFilterBar = forwardRef<HTMLInputElement>(function SessionsFilterBar(_props, searchRef) {
  const actions = useActions();
  const { filter, clients } = useAppShallow((s) => ({ filter: s.sessionsFilter, clients: s.facets.clients }));
  const search = useCallback((text: string) => actions.setSessionsFilter({ text }), [actions]);
  const endingOptions: Option<(typeof ENDING_ORDER)[number]>[] = ENDING_ORDER.map((k) => ({ value: k, label: endingInfo(k).label, render: <EndingBadge kind={k} /> }));
  return (
    <>
      <SearchBox ref={searchRef} value={filter.text} onSearch={search} label="Search the sessions’ prompts and answers" testId="sessions-search" />
      <div className="filters" role="group" aria-label="Session filters">
        <MultiSelect label="Client" options={clients.map((c) => ({ value: c, label: c }))} selected={filter.clients} onChange={(next) => actions.setSessionsFilter({ clients: next })} testId="sessions-filter-client" />
        <MultiSelect label="Ending" options={endingOptions} selected={filter.endings} onChange={(endings) => actions.setSessionsFilter({ endings })} testId="sessions-filter-ending" />
        {isSessionsFilterActive(filter) ? (
          <button type="button" className="btn btn-link" onClick={() => actions.resetSessionsFilter()}>
            Clear
          </button>
        ) : null}
      </div>
      <label className="select-wrap range">
        <span className="visually-hidden">Time range</span>
        <select className="input select" value={filter.range} onChange={(e) => actions.setSessionsFilter({ range: e.target.value as TimeRangeId })} data-testid="sessions-filter-range">
          {TIME_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    </>
  );
});

function SessionItem({ s, selected }: { s: SessionSummary; selected: boolean }) {
  const actions = useActions();
  const ref = useRef<HTMLDivElement>(null);
  // Keep the keyboard's selection in view.
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  return (
    <div
      ref={ref}
      role="option"
      aria-selected={selected}
      className={`session${selected ? ' is-selected' : ''}`}
      data-session={s.sessionId}
      data-ending={s.ending.kind}
      onClick={() => actions.openSession(s.sessionId)}
    >
      <div className="session-line">
        <EndingBadge kind={s.ending.kind} />
        <span className="session-client">{s.client ?? 'unknown client'}</span>
        <span className="spacer" />
        <span className="faint num" title={formatTimestamp(s.startedAt)}>
          {formatWhen(s.startedAt)}
        </span>
      </div>
      {s.title ? <div className="session-title">“{s.title}”</div> : null}
      <div className="session-diagnosis">{s.ending.diagnosis}</div>
      <div className="session-counts faint num">
        {countOf(s.turnCount, 'turn')} · {countOf(s.requests, 'request')}
        {s.costUsd !== null ? ` · ${formatCost(s.costUsd)}` : ''}
        {s.inferred ? (
          <span className="tag" title="No session header: grouped by client, credential and conversation">
            inferred
          </span>
        ) : null}
      </div>
    </div>
  );
}

function SessionStory() {
  const actions = useActions();
  const session = useAppState((s) => s.session);
  const openId = useAppState((s) => s.detail.id);
  if (session.id === null) {
    return (
      <div className="session-story is-empty">
        <div className="empty-inline faint">Pick a session to see how it ended, turn by turn.</div>
      </div>
    );
  }
  const d = session.detail;
  if (!d) {
    return (
      <div className="session-story" data-testid="session-story">
        <BackToList />
        {session.error ? <div className="note bad">{session.error}</div> : <div className="faint pad">Loading…</div>}
      </div>
    );
  }
  return (
    <div className="session-story" data-testid="session-story" data-session={d.sessionId}>
      <BackToList />
      <StoryHead d={d} />
      {d.turnsTruncated ? <div className="note">Only the latest turns are shown: this session has more requests than one read returns.</div> : null}
      <ol className="turns" aria-label="Turns, in order">
        {d.turns.map((t) => (
          <Turn key={t.id} t={t} endingId={d.ending.recordId} openId={openId} onOpen={(id) => actions.openDetail(id)} />
        ))}
      </ol>
    </div>
  );
}

function BackToList() {
  const actions = useActions();
  return (
    <button type="button" className="btn btn-link story-back" onClick={() => actions.openSession(null)}>
      ‹ Sessions
    </button>
  );
}

/** The ending first: its badge and diagnosis, then what the session was. */
function StoryHead({ d }: { d: SessionDetail }) {
  const actions = useActions();
  const ended = d.ending.recordId;
  return (
    <div className="story-head">
      <div className={`story-ending tone-${endingInfo(d.ending.kind).tone}`} data-testid="session-ending" data-ending={d.ending.kind}>
        <EndingBadge kind={d.ending.kind} />
        <p className="diagnosis" data-testid="session-diagnosis">
          {d.ending.diagnosis}
        </p>
        <div className="story-actions">
          {ended ? (
            <button type="button" className="btn btn-small" onClick={() => actions.openDetail(ended)} data-testid="session-last" title="The last attempt of the last turn">
              Open the request that ended it
            </button>
          ) : null}
          <button type="button" className="btn btn-small" onClick={() => actions.showSession(d)} data-testid="session-requests" title="The timeline, filtered to this session">
            All its requests
          </button>
        </div>
      </div>
      <div className="story-meta">
        <span className="story-client">{d.client ?? 'unknown client'}</span>
        {d.title ? <span className="story-title">“{d.title}”</span> : null}
      </div>
      <div className="story-meta faint-2 num">
        <span title={formatTimestamp(d.startedAt)}>{formatWhen(d.startedAt)}</span>
        <span title="From the first request to the last activity">{formatDuration(d.endedAt !== null ? d.endedAt - d.startedAt : null)}</span>
        <span>{countOf(d.turnCount, 'turn')}</span>
        <span>{countOf(d.requests, 'request')}</span>
        <TokensInOut usage={d.usage} />
        <Cost usd={d.costUsd} />
        {d.inferred ? (
          <span className="tag" title="No session header: grouped by client, credential and conversation">
            inferred
          </span>
        ) : null}
        <span className="mono story-id" title="Session id">
          {d.sessionId}
        </span>
      </div>
    </div>
  );
}

function Turn({ t, endingId, openId, onOpen }: { t: SessionTurn; endingId: string | null; openId: string | null; onOpen: (id: string) => void }) {
  const ends = endingId !== null && t.attempts.some((a) => a.recordId === endingId);
  return (
    <li className={`turn${ends ? ' is-ending' : ''}`} data-turn={t.id} data-testid="turn">
      <div className="turn-head">
        <span className="turn-no">Turn {t.index}</span>
        <span className="mono turn-model">{t.model ?? t.api}</span>
        <span className="faint num" title={formatTimestamp(t.startedAt)}>
          {formatWhen(t.startedAt)}
        </span>
        <span className="spacer" />
        <TokensInOut usage={t.usage} />
        <Cost usd={t.costUsd} />
      </div>
      {t.prompt ? <div className="turn-prompt">“{t.prompt}”</div> : null}
      <ContextBar c={t.context} />
      <ol className="attempts" aria-label={countOf(t.attempts.length, 'attempt')}>
        {t.attempts.map((a) => (
          <Attempt key={a.recordId} a={a} open={a.recordId === openId} onOpen={onOpen} />
        ))}
      </ol>
    </li>
  );
}

/** "1,204 in / ~86 out"; nothing when no attempt reported or estimated any. */
function TokensInOut({ usage }: { usage: Usage }) {
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  return (
    <span className="num faint-2" title="Tokens in and out; ~ marks an estimate">
      <Tokens value={usage.inputTokens} /> in / <Tokens value={usage.outputTokens} estimated={usage.estimated} /> out
    </span>
  );
}

/** The cost at the catalog's prices; nothing when it could not be priced (a local model, no usage). */
function Cost({ usd }: { usd: number | null }) {
  if (usd === null) return null;
  return (
    <span className="num faint-2" title="At the model catalog's prices">
      {formatCost(usd)}
    </span>
  );
}

/** The turn's input against the model's context window. */
function ContextBar({ c }: { c: TurnContext }) {
  if (c.inputTokens === null) return <div className="context faint">Context: unknown (no usage reported, nothing to count)</div>;
  const tokens = `${c.estimated ? '~' : ''}${formatInt(c.inputTokens)}`;
  const state = c.refused ? 'refused' : c.nearLimit ? 'near' : 'ok';
  return (
    <div className={`context is-${state}`} data-testid="context">
      <span className="context-label faint-2">Context</span>
      {c.window !== null && c.fraction !== null ? (
        <span className="context-bar" role="img" aria-label={`${formatPercent(c.fraction)} of the context window`}>
          <span className="context-fill" style={{ width: `${Math.min(100, Math.max(1, c.fraction * 100))}%` }} />
        </span>
      ) : null}
      <span className="num" title={c.estimated ? "Counted with Streamtap's tokenizer: no attempt reported usage" : undefined}>
        {c.window !== null ? `${tokens} of ${formatInt(c.window)} (${formatPercent(c.fraction)})` : `${tokens} tokens, window unknown`}
      </span>
      {c.refused ? <span className="tag tag-bad">refused: too long</span> : c.nearLimit ? <span className="tag tag-warn">near the limit</span> : null}
    </div>
  );
}

/** A live attempt's time so far, ticking (the story itself is re-read when it settles). */
function Elapsed({ since }: { since: number }) {
  const now = useNow(true);
  return (
    <span className="attempt-num num live-num" title="Elapsed so far">
      <span className="faint">for</span> {formatDuration(Math.max(0, now - since))}
    </span>
  );
}

function Attempt({ a, open, onOpen }: { a: TurnAttempt; open: boolean; onOpen: (id: string) => void }) {
  return (
    <li>
      <button
        type="button"
        className={`attempt${open ? ' is-open' : ''}`}
        onClick={() => onOpen(a.recordId)}
        data-testid="attempt"
        data-id={a.recordId}
        data-outcome={a.outcome}
        aria-current={open ? 'true' : undefined}
        title="Open this request"
      >
        <span className="attempt-no num">#{a.attempt}</span>
        <AttemptBadge row={a} />
        <span className="attempt-mode faint">{a.stream ? 'stream' : 'no stream'}</span>
        <span className="attempt-num num" title="Time to first token">
          <span className="faint">TTFT</span> {formatDuration(a.ttftMs)}
        </span>
        {a.outcome === 'in_progress' ? (
          <Elapsed since={a.startedAt} />
        ) : (
          <span className="attempt-num num" title="Duration">
            <span className="faint">took</span> {formatDuration(a.durationMs)}
          </span>
        )}
        <span className="attempt-why">{a.diagnosis}</span>
      </button>
    </li>
  );
}

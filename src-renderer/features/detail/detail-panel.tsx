// The request detail: the diagnosis sentence first — the answer to "why was my agent
// cut off?" — then the evidence, the timing view, and the request / response / raw
// tabs (keys 1, 2, 3). Follows a live request as it streams: the store merges each
// pushed progress into the record, and the headline says what is happening now,
// including a stall.

import { useEffect, useRef, useState } from 'react';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { CopyButton } from '../../components/copy-button.js';
import { downloadText } from '../../components/dom.js';
import { OutcomeBadge } from '../../components/outcome-badge.js';
import { toCurl } from '../../lib/curl.js';
import { isTypingTarget } from '../../components/dom.js';
import { useNow } from '../../components/use-now.js';
import { useSearchHighlight } from '../../components/use-search-highlight.js';
import { formatTimestamp } from '../../lib/format.js';
import { liveHeadline } from '../../lib/live-detail.js';
import { useActions, useAppState } from '../../stores/app-context.js';
import { AttemptLinks } from './attempt-links.js';
import { Evidence, Metrics } from './evidence.js';
import { RawView } from './raw-view.js';
import { RequestView } from './request-view.js';
import { ResponseView } from './response-view.js';
import { TimingChart } from './timing-chart.js';

type Tab = 'response' | 'request' | 'raw';

/** The tabs and their keys, in order. */
export const TABS: { id: Tab; label: string; key: string }[] = [
  { id: 'response', label: 'Response', key: '1' },
  { id: 'request', label: 'Request', key: '2' },
  { id: 'raw', label: 'Raw', key: '3' },
];

export function DetailPanel() {
  const detail = useAppState((s) => s.detail);
  const actions = useActions();
  if (detail.id === null) return null;
  return (
    <aside className="detail" aria-label="Request detail" data-testid="detail">
      {detail.record ? (
        <DetailBody record={detail.record} />
      ) : (
        <div className="detail-empty">
          <div className="detail-head-bar">
            <span className="faint mono">{detail.id}</span>
            <CloseButton onClose={() => actions.closeDetail()} />
          </div>
          {detail.loading ? <div className="faint pad">Loading…</div> : <div className="bad-text pad">{detail.error}</div>}
        </div>
      )}
    </aside>
  );
}

function CloseButton({ onClose }: { onClose: () => void }) {
  return (
    <button type="button" className="btn btn-icon" onClick={onClose} aria-label="Close detail (Esc)" title="Close (Esc)" data-testid="detail-close">
      ✕
    </button>
  );
}

function DetailBody({ record: r }: { record: RequestRecord }) {
  const actions = useActions();
  const baseUrl = useAppState((s) => s.status?.baseUrl ?? null);
  const query = useAppState((s) => s.filter.text.trim());
  const attempts = useAppState((s) => s.detail.attempts);
  // With a search active, open on the tab that holds a match.
  const [tab, setTab] = useState<Tab>(() => tabWithMatch(r, query));
  const scroll = useRef<HTMLDivElement>(null);
  const hits = useSearchHighlight(scroll, query, `${r.id}:${tab}`);
  // A search typed while the detail is open moves it to the tab with a match too.
  const searched = useRef(query);
  useEffect(() => {
    if (searched.current === query) return;
    searched.current = query;
    if (query.length >= 2) setTab(tabWithMatch(r, query));
    // r is left out on purpose: a live record re-rendering must not move the tab
  }, [query]);
  const [focusEvent, setFocusEvent] = useState<number | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
      // Not while a dialog (the shortcuts list) is open over the page.
      if (document.querySelector('dialog[open]')) return;
      const t = TABS.find((x) => x.key === e.key);
      if (!t) return;
      e.preventDefault();
      setTab(t.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const origin = baseUrl ?? (typeof location !== 'undefined' && location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:7788');

  return (
    <>
      <div className="detail-head-bar">
        <OutcomeBadge row={r} />
        <span className="detail-model">{r.model ?? r.responseModel ?? `${r.method} ${r.path}`}</span>
        <span className="spacer" />
        <CopyButton text={() => toCurl(r, origin)} label="Copy as curl" />
        <button type="button" className="btn btn-small" onClick={() => downloadText(`streamtap-request-${r.id}.json`, JSON.stringify(r, null, 2))} data-testid="export-one">
          Export JSON
        </button>
        <CloseButton onClose={() => actions.closeDetail()} />
      </div>
      <div className="detail-scroll" ref={scroll}>
        <div className="detail-meta">
          <span title={String(r.startedAt)}>{formatTimestamp(r.startedAt)}</span>
          <span>{r.client ?? 'unknown client'}</span>
          <span>
            {r.upstream} · {r.api}
            {r.stream ? ' · stream' : ''}
          </span>
          <span className="mono">
            {r.method} {r.path}
          </span>
          {r.sessionId ? (
            <button type="button" className="btn btn-link" onClick={() => actions.showSession({ sessionId: r.sessionId!, inferred: false, client: r.client, startedAt: r.startedAt, endedAt: r.endedAt })} title={`Session ${r.sessionId}`}>
              session’s requests
            </button>
          ) : null}
          {r.sessionId ? (
            <button type="button" className="btn btn-link" onClick={() => actions.showSessionStory(r.sessionId!)} title="How this request's session ended, turn by turn" data-testid="session-story-link">
              session’s story
            </button>
          ) : null}
        </div>
        <Headline record={r} />
        <AttemptLinks record={r} attempts={attempts} />
        <Evidence record={r} />
        <Metrics record={r} />
        <TimingChart
          record={r}
          onOpenEvent={(i) => {
            setTab('raw');
            setFocusEvent(i);
          }}
        />
        <div className="tabs" role="tablist">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-keyshortcuts={t.key}
              className={`tab${tab === t.id ? ' is-active' : ''}`}
              onClick={() => setTab(t.id)}
              data-testid={`tab-${t.id}`}
              title={`${t.label} (${t.key})`}
            >
              {t.label} <kbd className="tab-key">{t.key}</kbd>
            </button>
          ))}
        </div>
        {query.length >= 2 ? (
          <div className="search-hits" data-testid="search-hits" role="status" data-search-skip="">
            <span className="search-hits-text">
              {hits.count === 0
                ? `No match for “${query}” in this tab`
                : `${hits.current + 1} of ${hits.count}${hits.capped ? '+' : ''} matches for “${query}”`}
            </span>
            {hits.count > 1 ? (
              <>
                <button type="button" className="btn btn-small" onClick={hits.prev} aria-label="Previous match">
                  ‹
                </button>
                <button type="button" className="btn btn-small" onClick={hits.next} aria-label="Next match">
                  ›
                </button>
              </>
            ) : null}
          </div>
        ) : null}
        <div role="tabpanel" className="tabpanel">
          {tab === 'response' ? <ResponseView record={r} /> : tab === 'request' ? <RequestView record={r} /> : <RawView record={r} focusEvent={focusEvent} />}
        </div>
        <div className="detail-id faint mono">id {r.id}</div>
      </div>
    </>
  );
}

/** The diagnosis; while the request is live, what is happening now (ticking). */
function Headline({ record: r }: { record: RequestRecord }) {
  const live = r.outcome === 'in_progress';
  const now = useNow(live);
  const h = live ? liveHeadline(r, now) : null;
  return (
    <p className={`diagnosis${h?.stalled ? ' is-stalled' : ''}`} data-testid="diagnosis" data-stalled={h?.stalled ? 'true' : undefined}>
      {h ? h.text : r.diagnosis}
    </p>
  );
}

function tabWithMatch(r: RequestRecord, query: string): Tab {
  const q = query.toLowerCase();
  if (q.length < 2) return 'response';
  if (r.responseText.toLowerCase().includes(q) || r.responseReasoning.toLowerCase().includes(q)) return 'response';
  if (r.requestBody.text.toLowerCase().includes(q)) return 'request';
  return 'raw';
}

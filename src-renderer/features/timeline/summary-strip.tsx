// One line of numbers for the current filter: how many requests, how many failed and
// how, tokens, median TTFT (requests.summary).

import type { SummaryStats } from '../../../src-main/common/contract.js';
import { KindBadge } from '../../components/outcome-badge.js';
import { formatDuration, formatInt, formatTokens } from '../../lib/format.js';
import type { BadgeKind } from '../../lib/outcome.js';
import { useActions, useAppState } from '../../stores/app-context.js';

const FAILURES: BadgeKind[] = ['client_aborted', 'upstream_error', 'upstream_disconnected', 'upstream_unreachable', 'timeout', 'interrupted'];

function countOf(s: SummaryStats, k: BadgeKind): number {
  if (k === 'truncated') return s.truncated;
  if (k === 'completed') return s.byOutcome.completed - s.truncated;
  return s.byOutcome[k] ?? 0;
}

export function SummaryStrip() {
  const summary = useAppState((s) => s.summary);
  const actions = useActions();
  if (!summary) return <div className="summary" aria-busy="true" />;
  const failures = FAILURES.filter((k) => countOf(summary, k) > 0);
  const failed = failures.reduce((n, k) => n + countOf(summary, k), 0);
  return (
    <div className="summary" data-testid="summary">
      <span className="stat">
        <span className="stat-value">{formatInt(summary.requests)}</span> <span className="stat-label">{summary.requests === 1 ? 'request' : 'requests'}</span>
      </span>
      <span className="stat">
        <span className={`stat-value${failed ? ' bad-text' : ''}`}>{formatInt(failed)}</span> <span className="stat-label">cut off or failed</span>
      </span>
      <span className="summary-right">
        <span className="stat">
          <span className="stat-label">tokens</span> <span className="stat-value">{formatTokens(summary.inputTokens)}</span>
          <span className="stat-label"> in / </span>
          <span className="stat-value">{formatTokens(summary.outputTokens)}</span>
          <span className="stat-label"> out</span>
        </span>
        <span className="stat">
          <span className="stat-label">median TTFT</span> <span className="stat-value">{formatDuration(summary.medianTtftMs)}</span>
        </span>
      </span>
      <span className="summary-badges">
        {countOf(summary, 'in_progress') > 0 ? (
          <button type="button" className="chip-btn" onClick={() => actions.setFilter({ outcomes: ['in_progress'] })}>
            <KindBadge kind="in_progress" label="live" count={countOf(summary, 'in_progress')} />
          </button>
        ) : null}
        {countOf(summary, 'truncated') > 0 ? (
          <button type="button" className="chip-btn" onClick={() => actions.setFilter({ outcomes: ['truncated'] })}>
            <KindBadge kind="truncated" count={countOf(summary, 'truncated')} />
          </button>
        ) : null}
        {failures.map((k) => (
          <button key={k} type="button" className="chip-btn" onClick={() => actions.setFilter({ outcomes: [k] })} title="Show only these">
            <KindBadge kind={k} count={countOf(summary, k)} />
          </button>
        ))}
      </span>
    </div>
  );
}

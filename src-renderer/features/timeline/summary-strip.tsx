// One line of numbers for the current filter: how many requests, how many were cut off
// or failed and how (the chips add up to that number: truncated counts, it is a cut-off
// cause too), tokens, median TTFT (requests.stats); and the "Fold retries" switch of
// the table below.

import type { RequestStats } from '../../../src-main/common/contract.js';
import { KindBadge } from '../../components/outcome-badge.js';
import { formatDuration, formatInt, formatTokens } from '../../lib/format.js';
import { CUT_OFF_KINDS, type BadgeKind } from '../../lib/outcome.js';
import { plural } from '../../lib/words.js';
import { useActions, useAppState } from '../../stores/app-context.js';

/** One row per turn in the table, with "×N" for its attempts (remembered between runs). */
function FoldToggle() {
  const fold = useAppState((s) => s.foldRetries);
  const actions = useActions();
  return (
    <label className="fold-toggle" title="Show one row per turn, with ×N for its attempts (retries, reconnects)">
      <input type="checkbox" checked={fold} onChange={(e) => actions.setFoldRetries(e.target.checked)} data-testid="fold-retries" />
      Fold retries
    </label>
  );
}

function kindCount(s: RequestStats, k: BadgeKind): number {
  if (k === 'truncated') return s.truncated;
  if (k === 'completed') return s.byOutcome.completed - s.truncated;
  return s.byOutcome[k] ?? 0;
}

export function SummaryStrip() {
  const summary = useAppState((s) => s.summary);
  const actions = useActions();
  if (!summary)
    return (
      <div className="summary" aria-busy="true">
        <FoldToggle />
      </div>
    );
  const failures = CUT_OFF_KINDS.filter((k) => kindCount(summary, k) > 0);
  const failed = failures.reduce((n, k) => n + kindCount(summary, k), 0);
  return (
    <div className="summary" data-testid="summary">
      <span className="stat">
        <span className="stat-value">{formatInt(summary.requests)}</span> <span className="stat-label">{plural(summary.requests, 'request')}</span>
      </span>
      <span className="stat">
        <span className={`stat-value${failed ? ' bad-text' : ''}`} data-testid="cut-off-count">
          {formatInt(failed)}
        </span>{' '}
        <span className="stat-label">cut off or failed</span>
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
        {kindCount(summary, 'in_progress') > 0 ? (
          <button type="button" className="chip-btn" onClick={() => actions.setFilter({ outcomes: ['in_progress'] })}>
            <KindBadge kind="in_progress" count={kindCount(summary, 'in_progress')} />
          </button>
        ) : null}
        {failures.map((k) => (
          <button key={k} type="button" className="chip-btn" onClick={() => actions.setFilter({ outcomes: [k] })} title="Show only these" data-kind={k}>
            <KindBadge kind={k} count={kindCount(summary, k)} />
          </button>
        ))}
      </span>
      <FoldToggle />
    </div>
  );
}

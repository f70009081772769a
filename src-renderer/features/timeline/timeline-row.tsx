// One timeline row. Memoised on the summary object: the store replaces a row's object
// only when that row changed, so a frame with one progress update re-renders one row.
// In-progress rows tick (elapsed time, tokens/s) from the shared clock.

import { memo } from 'react';
import type { RequestSummary } from '../../../src-main/common/record.js';
import { OutcomeBadge } from '../../components/outcome-badge.js';
import { useNow } from '../../components/use-now.js';
import { formatClock, formatDateTime, formatDuration, formatRate, formatTimestamp, formatTokens, tokensPerSecond } from '../../lib/format.js';
import { errorBrief } from '../../lib/outcome.js';

export const ROW_HEIGHT = 30;

const API_LABEL: Record<RequestSummary['api'], string> = {
  'chat.completions': 'chat',
  responses: 'responses',
  messages: 'messages',
  embeddings: 'embeddings',
  other: 'other',
};

export const ESTIMATED_TITLE = "Estimated with Streamtap's tokenizer: the provider reported no usage for this response";

export function Tokens({ value, estimated }: { value: number | null; estimated?: boolean }) {
  if (value === null) return <span className="faint">–</span>;
  if (estimated) {
    return (
      <span className="estimated" title={ESTIMATED_TITLE}>
        ~{formatTokens(value)}
      </span>
    );
  }
  return <>{formatTokens(value)}</>;
}

function LiveTiming({ row }: { row: RequestSummary }) {
  const now = useNow(true);
  const elapsed = Math.max(0, now - row.startedAt);
  const tps = tokensPerSecond(row.usage.outputTokens, row.timings.ttftMs, elapsed);
  return (
    <>
      <span className="cell num col-dur live-num" title="Elapsed so far">
        {formatDuration(elapsed)}
      </span>
      <span className="cell num col-tps">{formatRate(tps)}</span>
    </>
  );
}

export const TimelineRow = memo(function TimelineRow(props: {
  row: RequestSummary;
  selected: boolean;
  top: number;
  index: number;
  /** a click opens the detail, as in browser dev tools' network panels */
  onOpen: (id: string) => void;
  /** rows span days: show the date with the time */
  withDate: boolean;
  /** retries folded: how many loaded attempts this row's turn has (a row of N > 1 shows "×N") */
  attempts: number;
  /** a folded turn whose other attempts are shown under it */
  expanded: boolean;
  /** an earlier attempt shown under its turn's row */
  nested: boolean;
  onToggle: (turnId: string) => void;
}) {
  const { row, selected } = props;
  const folded = props.attempts > 1 && !props.nested;
  const live = row.outcome === 'in_progress';
  const model = row.model ?? row.responseModel;
  const err = errorBrief(row);
  return (
    <div
      role="row"
      aria-selected={selected}
      aria-rowindex={props.index + 2}
      className={`trow${selected ? ' is-selected' : ''}${live ? ' is-live' : ''}${props.nested ? ' is-nested' : ''}`}
      style={{ transform: `translateY(${props.top}px)` }}
      data-id={row.id}
      data-outcome={row.outcome}
      data-turn={row.turnId}
      data-attempt={row.attempt}
      onClick={() => props.onOpen(row.id)}
    >
      <span className="cell num col-time" title={formatTimestamp(row.startedAt)}>
        {props.withDate ? formatDateTime(row.startedAt) : formatClock(row.startedAt)}
      </span>
      <span className="cell col-client" title={row.userAgent ?? undefined}>
        <span className="client-name">{row.client ?? <span className="faint">unknown</span>}</span>
        {/* shown under the client when the model column is hidden (a narrow table) */}
        <span className="client-model mono">{model ?? `${row.method} ${row.path}`}</span>
      </span>
      <span className="cell col-model" title={row.responseModel && row.responseModel !== row.model ? `answered by ${row.responseModel}` : undefined}>
        {model ?? <span className="faint">{row.method} {row.path}</span>}
      </span>
      <span className="cell col-api faint-2">{API_LABEL[row.api]}</span>
      <span className="cell col-outcome">
        {props.nested ? (
          <span className="attempt-no num" title={`Attempt ${row.attempt} of this turn`}>
            #{row.attempt}
          </span>
        ) : null}
        <OutcomeBadge row={row} />
        {folded ? (
          <button
            type="button"
            className={`fold-count num${props.expanded ? ' is-open' : ''}`}
            aria-expanded={props.expanded}
            title={`${props.attempts} attempts of this turn: ${props.expanded ? 'hide' : 'show'} the others (→ / ←)`}
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle(row.turnId);
            }}
            data-testid="fold-count"
          >
            ×{props.attempts}
          </button>
        ) : null}
      </span>
      <span className="cell col-err" title={err?.text || undefined}>
        {err?.text ? <span className="err-brief">{err.text}</span> : null}
      </span>
      <span className="cell num col-in">
        <Tokens value={row.usage.inputTokens} />
      </span>
      <span className="cell num col-out">
        <Tokens value={row.usage.outputTokens} estimated={row.usage.estimated} />
      </span>
      <span className="cell num col-ttft">{formatDuration(row.timings.ttftMs)}</span>
      {live ? (
        <LiveTiming row={row} />
      ) : (
        <>
          <span className="cell num col-dur">{formatDuration(row.timings.durationMs)}</span>
          <span className="cell num col-tps">{formatRate(tokensPerSecond(row.usage.outputTokens, row.timings.ttftMs, row.timings.durationMs))}</span>
        </>
      )}
    </div>
  );
});

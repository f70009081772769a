// The outcome badge: glyph + label + colour, so it reads without colour too; an
// upstream error adds its HTTP status beside its name. An in-progress badge pulses
// (not under prefers-reduced-motion) and gains a "stalled" marker once its stream has
// been silent for STALL_MS.

import type { SessionEndingKind } from '../../src-main/common/contract.js';
import type { RequestSummary } from '../../src-main/common/record.js';
import { endingInfo } from '../lib/ending.js';
import { BADGES, badgeFor, silentForMs, STALL_MS, type BadgeKind } from '../lib/outcome.js';
import { formatDuration } from '../lib/format.js';
import { useNow } from './use-now.js';

type Row = Pick<RequestSummary, 'outcome' | 'truncated' | 'httpStatus' | 'startedAt' | 'timings'>;

export function OutcomeBadge({ row, withStall = true }: { row: Row; withStall?: boolean }) {
  return (
    <span className="badge-wrap">
      <AttemptBadge row={row} />
      {withStall && row.outcome === 'in_progress' ? <StallMarker row={row} /> : null}
    </span>
  );
}

/** The outcome badge alone, for what has no timings to judge a stall by (a session's attempts). */
export function AttemptBadge({ row }: { row: Pick<RequestSummary, 'outcome' | 'truncated' | 'httpStatus'> }) {
  const b = badgeFor(row);
  return (
    <span className={`badge tone-${b.tone} kind-${b.kind}`} title={b.meaning} data-outcome={b.kind}>
      <span className="badge-glyph" aria-hidden="true">
        {b.glyph}
      </span>
      <span className="badge-label">{b.label}</span>
      {b.kind === 'upstream_error' && row.httpStatus !== null && row.httpStatus >= 400 ? <span className="badge-status num">{row.httpStatus}</span> : null}
    </span>
  );
}

function StallMarker({ row }: { row: Row }) {
  const now = useNow(true);
  const silent = silentForMs(row, now);
  if (silent === null || silent < STALL_MS) return null;
  return (
    <span className="stall" title={`No event from the provider for ${formatDuration(silent)}`} data-stalled="true">
      <span aria-hidden="true">‖</span> stalled {compactSeconds(silent)}
    </span>
  );
}

/** 12s, 15m, 2h: short enough for the outcome column. */
function compactSeconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** A badge for a kind alone (filters, legends, the summary strip). */
export function KindBadge({ kind, label, count }: { kind: BadgeKind; label?: string; count?: number }) {
  const b = BADGES[kind];
  return (
    <span className={`badge tone-${b.tone} kind-${kind}`} title={b.meaning}>
      <span className="badge-glyph" aria-hidden="true">
        {b.glyph}
      </span>
      <span className="badge-label">{label ?? b.label}</span>
      {count !== undefined ? <span className="badge-count">{count.toLocaleString('en-US')}</span> : null}
    </span>
  );
}

/** How a session ended: the same badge as an outcome's, or one of a session's own endings. */
export function EndingBadge({ kind }: { kind: SessionEndingKind }) {
  const b = endingInfo(kind);
  return (
    <span className={`badge tone-${b.tone} kind-${kind}`} title={b.meaning} data-ending={kind}>
      <span className="badge-glyph" aria-hidden="true">
        {b.glyph}
      </span>
      <span className="badge-label">{b.label}</span>
    </span>
  );
}

// How each outcome reads at a glance: a glyph, a text label and a tone (colour). The
// glyph and the label carry the meaning on their own, so a colour-blind reader or a
// grey-scale screenshot loses nothing; the tone only speeds up scanning. The label is
// the outcome's one name in the dashboard — badge, filter, summary, README — and the
// HTTP status of an upstream error is shown beside it, never instead of it.

import type { Outcome, RequestSummary } from '../../src-main/common/record.js';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted' | 'live';

/** The badge kinds: the outcomes plus `truncated` (completed, stopped by length). */
export type BadgeKind = Outcome | 'truncated';

export interface BadgeInfo {
  kind: BadgeKind;
  glyph: string;
  label: string;
  tone: Tone;
  /** a one-line explanation, for the badge's title and the README legend */
  meaning: string;
}

export const BADGES: Record<BadgeKind, Omit<BadgeInfo, 'kind'>> = {
  in_progress: { glyph: '●', label: 'in progress', tone: 'live', meaning: 'Still streaming.' },
  completed: { glyph: '✓', label: 'completed', tone: 'ok', meaning: 'The answer finished: a terminal event or a whole body arrived.' },
  truncated: { glyph: '⇥', label: 'truncated', tone: 'warn', meaning: 'Completed, but stopped by the token limit (length / max_tokens).' },
  client_aborted: { glyph: '⊘', label: 'client aborted', tone: 'warn', meaning: 'The client closed the connection before the answer finished.' },
  upstream_error: { glyph: '✕', label: 'upstream error', tone: 'bad', meaning: 'The provider answered with an error status or an in-stream error event.' },
  upstream_disconnected: { glyph: '↯', label: 'disconnected', tone: 'bad', meaning: "The provider's stream ended without a terminal event." },
  upstream_unreachable: { glyph: '⊗', label: 'unreachable', tone: 'bad', meaning: 'The provider could not be reached (refused, DNS, TLS), or no upstream matched the path.' },
  timeout: { glyph: '◷', label: 'timeout', tone: 'bad', meaning: 'No headers within the header timeout, or no event within the idle timeout.' },
  interrupted: { glyph: '■', label: 'interrupted', tone: 'muted', meaning: 'Streamtap itself stopped while the request was in flight.' },
};

/** The order used by the outcome filter and the summary strip. */
export const BADGE_ORDER: BadgeKind[] = [
  'in_progress',
  'completed',
  'truncated',
  'client_aborted',
  'upstream_error',
  'upstream_disconnected',
  'upstream_unreachable',
  'timeout',
  'interrupted',
];

type BadgeInput = Pick<RequestSummary, 'outcome' | 'truncated' | 'httpStatus'>;

export function badgeKind(r: Pick<RequestSummary, 'outcome' | 'truncated'>): BadgeKind {
  return r.outcome === 'completed' && r.truncated ? 'truncated' : r.outcome;
}

/** The badge for a row. */
export function badgeFor(r: BadgeInput): BadgeInfo {
  const kind = badgeKind(r);
  return { kind, ...BADGES[kind] };
}

/** The kinds counted as "cut off or failed": every ending but a complete answer (and a live one). */
export const CUT_OFF_KINDS: BadgeKind[] = BADGE_ORDER.filter((k) => k !== 'in_progress' && k !== 'completed');

type ErrorInput = Pick<RequestSummary, 'outcome' | 'httpStatus' | 'error' | 'errorMessage' | 'evidence'>;

/**
 * For a failed row: the HTTP status, if any, and the first words of what went wrong
 * ("429 rate_limit_error: Rate limit reached for…", "ECONNRESET", "connection
 * refused"); null for a row that did not fail.
 */
export function errorBrief(r: ErrorInput, words = 60): { status: number | null; text: string } | null {
  if (r.outcome === 'in_progress' || r.outcome === 'completed') return null;
  const status = r.httpStatus !== null && r.httpStatus >= 400 ? r.httpStatus : null;
  const e = r.error;
  const parts = [e?.type ?? e?.code, e?.message ?? r.errorMessage ?? (r.evidence.errorCode ?? null)].filter((x): x is string => !!x);
  let text = parts.join(': ').replace(/\s+/g, ' ').trim();
  if (text.length > words) text = `${text.slice(0, words).replace(/\s+\S*$/, '')}…`;
  return status === null && text === '' ? null : { status, text };
}

/** A live stream silent for this long is marked "stalled". */
export const STALL_MS = 10_000;

/**
 * Milliseconds since the last sign of life of an in-progress request (its last SSE
 * event, else its response headers, else its arrival), or null when it is not live.
 */
export function silentForMs(r: Pick<RequestSummary, 'outcome' | 'startedAt' | 'timings'>, now: number): number | null {
  if (r.outcome !== 'in_progress') return null;
  const lastOffset = r.timings.lastEventMs ?? r.timings.firstByteMs ?? 0;
  return Math.max(0, now - (r.startedAt + lastOffset));
}

export function isStalled(r: Pick<RequestSummary, 'outcome' | 'startedAt' | 'timings'>, now: number): boolean {
  const silent = silentForMs(r, now);
  return silent !== null && silent >= STALL_MS;
}

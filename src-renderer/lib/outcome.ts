// How each outcome reads at a glance: a glyph, a text label and a tone (colour). The
// glyph and the label carry the meaning on their own, so a colour-blind reader or a
// grey-scale screenshot loses nothing; the tone only speeds up scanning.

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
  upstream_unreachable: { glyph: '⊗', label: 'unreachable', tone: 'bad', meaning: 'The provider could not be reached (refused, DNS, TLS).' },
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

/** The badge for a row; an upstream error carries its status ("429"). */
export function badgeFor(r: BadgeInput): BadgeInfo {
  const kind = badgeKind(r);
  const base = BADGES[kind];
  if (kind === 'upstream_error' && r.httpStatus !== null && r.httpStatus >= 400) {
    return { kind, ...base, label: `error ${r.httpStatus}` };
  }
  return { kind, ...base };
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

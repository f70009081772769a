// The timeline's filter as the user sets it (badge kinds, a relative time range, text)
// and its translation to the contract's RecordFilter (whether a live row belongs in the
// list is common/record.ts's matchesRecordFilter, the same rule the store runs). Pure.

import type { SessionEndingKind, SessionFilter } from '../../src-main/common/contract.js';
import type { Outcome, RecordFilter } from '../../src-main/common/record.js';
import type { BadgeKind } from './outcome.js';

export const TIME_RANGES = [
  { id: '15m', label: 'Last 15 min', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 h', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: 'all', label: 'All time', ms: null },
] as const;
export type TimeRangeId = (typeof TIME_RANGES)[number]['id'];

export interface UiFilter {
  /** badge kinds; empty = all */
  outcomes: BadgeKind[];
  models: string[];
  clients: string[];
  upstreams: string[];
  sessions: string[];
  range: TimeRangeId;
  /** a fixed time window (an inferred session's span); replaces `range` while set */
  window: { since: number; until: number; label: string } | null;
  text: string;
}

export const EMPTY_UI_FILTER: UiFilter = { outcomes: [], models: [], clients: [], upstreams: [], sessions: [], range: 'all', window: null, text: '' };

/** The timeline filter that shows one session's requests. Sessions with a session
 * header filter by it; inferred ones (no header) by their client and time span. */
export function sessionFilter(s: { sessionId: string; inferred: boolean; client: string | null; startedAt: number; endedAt: number | null }, now: number): UiFilter {
  if (!s.inferred) return { ...EMPTY_UI_FILTER, sessions: [s.sessionId] };
  const until = (s.endedAt ?? now) + 1;
  return {
    ...EMPTY_UI_FILTER,
    clients: s.client ? [s.client] : [],
    window: { since: s.startedAt, until, label: `${s.client ?? 'session'} ${new Date(s.startedAt).toLocaleTimeString()}–${new Date(until).toLocaleTimeString()}` },
  };
}

export function isFilterActive(f: UiFilter): boolean {
  return (
    f.outcomes.length > 0 || f.models.length > 0 || f.clients.length > 0 || f.upstreams.length > 0 || f.sessions.length > 0 || f.range !== 'all' || f.window !== null || f.text.trim() !== ''
  );
}

/**
 * "truncated" is not an outcome in the store: it is completed + truncated, picked like
 * an outcome. RecordFilter reads it that way:
 *  - truncated alone              -> { truncated: true }
 *  - truncated with other kinds   -> { outcome, truncated: true } = outcome in list OR truncated
 *  - completed without truncated  -> { outcome, truncated: false } excludes the truncated rows
 */
export function toRecordFilter(f: UiFilter, now: number): RecordFilter {
  const out: RecordFilter = {};
  const range = TIME_RANGES.find((r) => r.id === f.range);
  if (f.window) {
    out.since = f.window.since;
    out.until = f.window.until;
  } else if (range && range.ms !== null) out.since = now - range.ms;
  const kinds = new Set(f.outcomes);
  const wantTrunc = kinds.delete('truncated');
  const outcomes = [...kinds] as Outcome[];
  if (outcomes.length > 0) out.outcome = outcomes;
  if (wantTrunc) out.truncated = true;
  else if (outcomes.includes('completed')) out.truncated = false;
  if (f.models.length) out.model = [...f.models];
  if (f.clients.length) out.client = [...f.clients];
  if (f.upstreams.length) out.upstream = [...f.upstreams];
  if (f.sessions.length) out.session = [...f.sessions];
  const text = f.text.trim();
  if (text) out.text = text.slice(0, 1000);
  return out;
}
/** The sessions view's filter: a search, clients, how a session ended, a time range. */
export interface SessionsUiFilter {
  /** words of the session's prompts, answers, tool calls, errors or models (common/text-search.ts) */
  text: string;
  clients: string[];
  endings: SessionEndingKind[];
  range: TimeRangeId;
}

export const EMPTY_SESSIONS_FILTER: SessionsUiFilter = { text: '', clients: [], endings: [], range: 'all' };

export function isSessionsFilterActive(f: SessionsUiFilter): boolean {
  return f.text.trim() !== '' || f.clients.length > 0 || f.endings.length > 0 || f.range !== 'all';
}

/** The contract's filter for sessions.list: sessions with a request in the range (and
 * matching the search and clients) that ended as one of `endings`. */
export function toSessionFilter(f: SessionsUiFilter, now: number): SessionFilter {
  const out: SessionFilter = {};
  const range = TIME_RANGES.find((r) => r.id === f.range);
  if (range && range.ms !== null) out.since = now - range.ms;
  if (f.clients.length) out.client = [...f.clients];
  if (f.endings.length) out.ending = [...f.endings];
  const text = f.text.trim();
  if (text) out.text = text.slice(0, 1000);
  return out;
}

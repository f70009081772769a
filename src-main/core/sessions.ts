// Agent sessions: explicit ones (a session header) from the store, and inferred ones
// for tools that send none — same client and credential, split by a time gap — per
// DESIGN.md. Shared by the dashboard API and the CLI.

import type { SessionSummary } from '../common/contract.js';
import type { RecordFilter, RequestSummary } from '../common/record.js';
import type { Store } from './db/store.js';

/** Requests without a session header more than this far apart start a new session (DESIGN.md). */
export const SESSION_GAP_MS = 30 * 60_000;
/** Session inference reads at most this far back… */
export const INFERENCE_WINDOW_MS = 7 * 86_400_000;
/** …and at most this many requests, so the sessions view stays fast on a large database. */
export const INFERENCE_MAX_ROWS = 20_000;
const INFERENCE_PAGE = 1_000;

/** "Claude Code 2.0.14" → "Claude Code", "OpenAI/JS 6.3.0" → "OpenAI/JS"; the stored
 * client is a display label with the version appended (see proxy/client-info.ts). */
export function clientName(label: string): string {
  return label.replace(/\s+v?\d[\w.+-]*$/, '') || label;
}

// ---- sessions -------------------------------------------------------------------------

export function listSessions(store: Store, filter: RecordFilter, limit: number, now = Date.now()): SessionSummary[] {
  const explicit: SessionSummary[] = store.sessions(filter, limit).map((s) => ({
    sessionId: s.sessionId,
    inferred: false,
    client: s.client,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    requests: s.requests,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    lastOutcome: s.lastOutcome,
    lastTruncated: false, // filled in below for the sessions that are kept
    lastDiagnosis: s.lastDiagnosis,
    lastRequestId: s.lastRequestId,
  }));
  // A session filter names explicit session ids: inferred sessions cannot match it.
  const inferred = filter.session?.length ? [] : inferSessions(store, filter, now);
  const kept = [...explicit, ...inferred].sort((a, b) => (b.endedAt ?? b.startedAt) - (a.endedAt ?? a.startedAt)).slice(0, limit);
  for (const s of kept) {
    // The store's summary has no truncated flag; only a completed request can be truncated.
    if (s.inferred || s.lastOutcome !== 'completed') continue;
    s.lastTruncated = store.list({ ...filter, session: [s.sessionId] }, { limit: 1 })[0]?.truncated ?? false;
  }
  return kept;
}

interface OpenGroup {
  key: string;
  /** oldest request seen so far (requests are read newest first) */
  first: RequestSummary;
  latest: RequestSummary;
  endedAt: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Requests without a session header, grouped per DESIGN.md: same client (any version)
 * and same credential fingerprint, split where two requests are more than
 * SESSION_GAP_MS apart. Reads summaries (never bodies) newest first, bounded by
 * INFERENCE_WINDOW_MS and INFERENCE_MAX_ROWS.
 */
export function inferSessions(store: Store, filter: RecordFilter, now = Date.now()): SessionSummary[] {
  const windowStart = now - INFERENCE_WINDOW_MS;
  const f: RecordFilter = { ...filter, since: Math.max(filter.since ?? windowStart, windowStart) };
  const open = new Map<string, OpenGroup>();
  const done: OpenGroup[] = [];
  let read = 0;
  let before: { startedAt: number; id: string } | undefined;
  while (read < INFERENCE_MAX_ROWS) {
    const limit = Math.min(INFERENCE_PAGE, INFERENCE_MAX_ROWS - read);
    const page = store.list(f, before ? { limit, before } : { limit });
    for (const r of page) {
      if (r.sessionId !== null) continue;
      const key = `${r.client === null ? '' : clientName(r.client)}\u0000${r.credentialFingerprint ?? ''}`;
      const g = open.get(key);
      // Newest first: the gap is from this (older) request's end to the group's oldest start.
      if (g && g.first.startedAt - (r.endedAt ?? r.startedAt) <= SESSION_GAP_MS) {
        g.first = r;
        g.requests++;
        g.inputTokens += r.usage.inputTokens ?? 0;
        g.outputTokens += r.usage.outputTokens ?? 0;
        g.endedAt = Math.max(g.endedAt, r.endedAt ?? r.startedAt);
        continue;
      }
      if (g) done.push(g);
      open.set(key, {
        key,
        first: r,
        latest: r,
        endedAt: r.endedAt ?? r.startedAt,
        requests: 1,
        inputTokens: r.usage.inputTokens ?? 0,
        outputTokens: r.usage.outputTokens ?? 0,
      });
    }
    read += page.length;
    if (page.length < limit) break;
    const last = page[page.length - 1]!;
    before = { startedAt: last.startedAt, id: last.id };
  }
  done.push(...open.values());
  return done.map((g) => ({
    // The first request's id is unique and stable while the session grows.
    sessionId: `inferred:${g.first.id}`,
    inferred: true,
    client: g.latest.client,
    startedAt: g.first.startedAt,
    endedAt: g.endedAt,
    requests: g.requests,
    inputTokens: g.inputTokens,
    outputTokens: g.outputTokens,
    lastOutcome: g.latest.outcome,
    lastTruncated: g.latest.truncated,
    lastDiagnosis: g.latest.diagnosis,
    lastRequestId: g.latest.id,
  }));
}

// Agent sessions as the dashboard API and the CLI read them: each session's turns and
// attempts, how it ended, its context against the model's window and its cost. The
// records already carry their session, turn and attempt (set as they were recorded, by
// sessions/linker.ts); this module groups and judges them. Shared by the dashboard API
// and the CLI, so both tell the same story.

import type { SessionDetail, SessionFilter, SessionSummary, SessionTurn, TurnAttempt, TurnAttempts, TurnContext } from '../common/contract.js';
import type { RequestSummary, Usage } from '../common/record.js';
import type { SessionLedgerRow, SessionRow, Store } from './db/store.js';
import { contextWindow, costUsd, type ModelRef } from './sessions/catalog.js';
import { contextRefusal } from './sessions/context-limit.js';
import { isConversationApi } from './sessions/conversation.js';
import { sessionEnding, type Attempt } from './sessions/endings.js';
import { estimateInputTokens } from './sessions/input-estimate.js';

export { clientName } from './sessions/client-name.js';
export { SESSION_GAP_MS, RETRY_WINDOW_MS } from './sessions/linker.js';

/** Sessions examined when the list is filtered by ending (endings are judged, not stored). */
export const SESSION_SCAN_LIMIT = 5_000;
/** Requests read for one session's turns; a longer session shows its latest turns. */
export const SESSION_READ_LIMIT = 20_000;
/** A turn is flagged at this share of the context window. */
export const NEAR_LIMIT = 0.9;
const READ_PAGE = 1_000;

// ---- one session's facts, from its ledger -----------------------------------------

interface TurnOrder {
  /** turn ids in the order their first attempts started */
  ids: string[];
  index: Map<string, number>;
}

function turnOrder(ledger: readonly SessionLedgerRow[]): TurnOrder {
  const ids: string[] = [];
  const index = new Map<string, number>();
  for (const r of ledger) {
    if (!index.has(r.turnId)) {
      ids.push(r.turnId);
      index.set(r.turnId, ids.length);
    }
  }
  return { ids, index };
}

/** The turn a session ended on: that of its latest conversation request (a models or
 * count_tokens call after it does not end a session), else of its latest request. */
function lastTurnId(ledger: readonly SessionLedgerRow[]): string | null {
  for (let i = ledger.length - 1; i >= 0; i--) if (isConversationApi(ledger[i]!.api)) return ledger[i]!.turnId;
  return ledger[ledger.length - 1]?.turnId ?? null;
}

function refOf(r: Pick<SessionLedgerRow, 'upstream' | 'upstreamUrl' | 'model'>): ModelRef {
  return { upstream: r.upstream, upstreamUrl: r.upstreamUrl, model: r.model };
}

function ledgerCost(rows: readonly SessionLedgerRow[]): number | null {
  let total: number | null = null;
  for (const r of rows) {
    const c = costUsd(refOf(r), r, r.startedAt);
    if (c !== null) total = (total ?? 0) + c;
  }
  return total;
}

function ledgerRow(r: RequestSummary): SessionLedgerRow {
  return {
    id: r.id,
    sessionId: r.sessionId ?? '',
    turnId: r.turnId,
    startedAt: r.startedAt,
    api: r.api,
    outcome: r.outcome,
    upstream: r.upstream,
    upstreamUrl: r.upstreamUrl,
    model: r.responseModel ?? r.model,
    inputTokens: r.usage.inputTokens,
    cachedTokens: r.usage.cachedTokens,
    outputTokens: r.usage.outputTokens,
  };
}

/** The summary of one session: the same for the list and for one session's view. */
function buildSummary(row: SessionRow, ledger: readonly SessionLedgerRow[], lastTurn: readonly Attempt[], now: number): SessionSummary {
  const order = turnOrder(ledger);
  const last = lastTurnId(ledger);
  let previousInputTokens: number | null = null;
  for (let i = ledger.length - 1; i >= 0; i--) {
    const r = ledger[i]!;
    if (r.turnId !== last && r.inputTokens !== null) {
      previousInputTokens = r.inputTokens;
      break;
    }
  }
  const lastRow = [...ledger].reverse().find((r) => r.turnId === last);
  const ending = sessionEnding({
    client: row.client,
    turnCount: order.ids.length,
    turnIndex: last !== null ? (order.index.get(last) ?? order.ids.length) : 0,
    attempts: lastTurn,
    previousInputTokens,
    contextWindow: lastRow ? contextWindow(refOf(lastRow)) : null,
    now,
  });
  return {
    sessionId: row.sessionId,
    inferred: row.inferred,
    client: row.client,
    title: row.title,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    requests: row.requests,
    turnCount: order.ids.length,
    usage: row.usage,
    costUsd: ledgerCost(ledger),
    ending,
    lastOutcome: row.lastOutcome,
    lastTruncated: row.lastTruncated,
    lastDiagnosis: row.lastDiagnosis,
    lastRequestId: row.lastRequestId,
  };
}

function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

// ---- the list -----------------------------------------------------------------------

/** Sessions with a request matching the filter, latest activity first. */
export function listSessions(store: Store, filter: SessionFilter, limit: number, now = Date.now()): SessionSummary[] {
  const { ending, ...records } = filter;
  const byEnding = ending !== undefined && ending.length > 0;
  const rows = store.sessions(records, byEnding ? SESSION_SCAN_LIMIT : limit);
  if (rows.length === 0) return [];
  const ledgers = byKey(store.sessionLedger(rows.map((r) => r.sessionId)), (r) => r.sessionId);
  const lastTurns = new Map<string, string>();
  for (const [sessionId, ledger] of ledgers) {
    const t = lastTurnId(ledger);
    if (t !== null) lastTurns.set(sessionId, t);
  }
  const attempts = byKey(store.turnAttempts([...new Set(lastTurns.values())]), (r) => r.turnId);
  const out: SessionSummary[] = [];
  for (const row of rows) {
    const lastTurn = attempts.get(lastTurns.get(row.sessionId) ?? '') ?? [];
    const s = buildSummary(row, ledgers.get(row.sessionId) ?? [], lastTurn, now);
    if (byEnding && !ending.includes(s.ending.kind)) continue;
    out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

// ---- one session --------------------------------------------------------------------

export function toTurnAttempt(r: RequestSummary): TurnAttempt {
  return {
    recordId: r.id,
    attempt: r.attempt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    outcome: r.outcome,
    truncated: r.truncated,
    stream: r.stream,
    httpStatus: r.httpStatus,
    ttftMs: r.timings.ttftMs,
    durationMs: r.timings.durationMs,
    eventCount: r.eventCount,
    error: r.error,
    diagnosis: r.diagnosis,
  };
}

function sumUsage(rs: readonly RequestSummary[]): Usage {
  const sum = (k: 'inputTokens' | 'outputTokens' | 'reasoningTokens' | 'cachedTokens' | 'totalTokens'): number | null => {
    let total: number | null = null;
    for (const r of rs) if (r.usage[k] !== null) total = (total ?? 0) + r.usage[k]!;
    return total;
  };
  return {
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    reasoningTokens: sum('reasoningTokens'),
    cachedTokens: sum('cachedTokens'),
    totalTokens: sum('totalTokens'),
    estimated: rs.some((r) => r.usage.estimated),
  };
}

export interface GetSessionOptions {
  now?: number;
  /** estimate the input of turns no attempt reported usage for, with the tokenizer (default true) */
  estimate?: boolean;
}

async function turnContext(store: Store, attempts: readonly RequestSummary[], estimate: boolean): Promise<TurnContext> {
  const last = attempts[attempts.length - 1]!;
  // The attempt that got furthest counted the input: the last one with usage.
  const counted = [...attempts].reverse().find((a) => a.usage.inputTokens !== null);
  const refusal = attempts.map(contextRefusal).find((c) => c !== null) ?? null;
  let inputTokens = counted?.usage.inputTokens ?? refusal?.requestedTokens ?? null;
  let estimated = false;
  if (inputTokens === null && estimate && isConversationApi(last.api)) {
    const body = store.requestBody(attempts[0]!.id);
    if (body && body.text) {
      inputTokens = await estimateInputTokens(attempts[0]!.id, body.text);
      estimated = true;
    }
  }
  const window = refusal?.limitTokens ?? contextWindow(refOf(ledgerRow(counted ?? last)));
  const fraction = inputTokens !== null && window ? inputTokens / window : null;
  return { inputTokens, estimated, window, fraction, nearLimit: fraction !== null && fraction >= NEAR_LIMIT, refused: refusal !== null };
}

/** All of one session's requests, oldest first (the latest SESSION_READ_LIMIT). */
function sessionRecords(store: Store, sessionId: string): { records: RequestSummary[]; truncated: boolean } {
  const newestFirst: RequestSummary[] = [];
  let before: { startedAt: number; id: string } | undefined;
  for (;;) {
    const page = store.list({ session: [sessionId] }, before ? { limit: READ_PAGE, before } : { limit: READ_PAGE });
    newestFirst.push(...page);
    if (page.length < READ_PAGE) return { records: newestFirst.reverse(), truncated: false };
    if (newestFirst.length >= SESSION_READ_LIMIT) return { records: newestFirst.reverse(), truncated: true };
    const last = page[page.length - 1]!;
    before = { startedAt: last.startedAt, id: last.id };
  }
}

/** One session with its turns, or null when no request has this session id. */
export async function getSession(store: Store, sessionId: string, opts: GetSessionOptions = {}): Promise<SessionDetail | null> {
  const now = opts.now ?? Date.now();
  const row = store.sessions({ session: [sessionId] }, 1)[0];
  if (!row) return null;
  const { records, truncated } = sessionRecords(store, sessionId);
  const ledger = records.map(ledgerRow);
  const grouped = byKey(records, (r) => r.turnId);
  const last = lastTurnId(ledger);
  const summary = buildSummary(row, ledger, last !== null ? (grouped.get(last) ?? []) : [], now);
  const turns: SessionTurn[] = [];
  for (const [id, attempts] of grouped) {
    const first = attempts[0]!;
    const final = attempts[attempts.length - 1]!;
    let cost: number | null = null;
    for (const a of attempts) {
      const c = costUsd(refOf(ledgerRow(a)), ledgerRow(a), a.startedAt);
      if (c !== null) cost = (cost ?? 0) + c;
    }
    turns.push({
      id,
      index: turns.length + 1,
      startedAt: first.startedAt,
      endedAt: attempts.reduce<number | null>((m, a) => (a.endedAt === null ? m : Math.max(m ?? 0, a.endedAt)), null),
      api: final.api,
      model: final.responseModel ?? final.model,
      prompt: first.conversation?.prompt ?? null,
      attempts: attempts.map(toTurnAttempt),
      context: await turnContext(store, attempts, opts.estimate ?? true),
      usage: sumUsage(attempts),
      costUsd: cost,
    });
  }
  return { ...summary, turns, turnsTruncated: truncated };
}

/** Every attempt of the record's turn, the record included; null for an unknown record. */
export function attemptsOf(store: Store, recordId: string): TurnAttempts | null {
  const turnId = store.turnIdOf(recordId);
  if (turnId === null) return null;
  return { turnId, attempts: store.turnAttempts([turnId]).map(toTurnAttempt) };
}

// Agent sessions as the dashboard API and the CLI read them: each session's turns and
// attempts, how it ended, its context against the model's window and its cost. The
// records already carry their session, turn and attempt (set as they were recorded, by
// sessions/linker.ts); this module groups and judges them. Shared by the dashboard API
// and the CLI, so both tell the same story.

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SessionDetail, SessionFilter, SessionSummary, SessionTurn, TurnAttempt, TurnAttempts, TurnContext } from '../common/contract.js';
import type { ApiKind, RequestSummary, Usage } from '../common/record.js';
import type { SessionLedgerRow, Store } from './db/store.js';
import { contextWindow, costUsd, type ModelRef } from './sessions/catalog.js';
import { contextRefusal } from './sessions/context-limit.js';
import { isConversationApi } from './sessions/conversation.js';
import { sessionEnding, type Attempt } from './sessions/endings.js';
import { estimateInputTokens } from './sessions/input-estimate.js';

export { clientName } from './sessions/client-name.js';
export { SESSION_GAP_MS, RETRY_WINDOW_MS } from './sessions/linker.js';

/** Sessions examined when the list is filtered by ending (endings are judged, not stored). */
export const SESSION_SCAN_LIMIT = 2_000;
/** Requests read for one session's turns; a longer session shows its latest turns. */
export const SESSION_READ_LIMIT = 20_000;
/** A turn is flagged at this share of the context window. */
export const NEAR_LIMIT = 0.9;
const READ_PAGE = 1_000;
/** Sessions summarised per round of queries (each round reads all their requests). */
const SCAN_PAGE = 100;

// ---- one session's facts, from its ledger -----------------------------------------

interface TurnOrder {
  /** turn ids in the order their first attempts started */
  ids: string[];
  index: Map<string, number>;
}

/** A session's turns are its conversation requests (chat, responses, messages): a models
 * list, a count_tokens or a file upload beside them is one of its requests, not a turn
 * of the story. A session of side requests only has those as its turns. */
function turnRows<T extends { api: ApiKind }>(rows: readonly T[]): readonly T[] {
  const conversation = rows.filter((r) => isConversationApi(r.api));
  return conversation.length > 0 ? conversation : rows;
}

function turnOrder(ledger: readonly SessionLedgerRow[]): TurnOrder {
  const ids: string[] = [];
  const index = new Map<string, number>();
  for (const r of turnRows(ledger)) {
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
    const c = costUsd(refOf(r), r.usage, r.startedAt);
    if (c !== null) total = (total ?? 0) + c;
  }
  return total;
}

function ledgerRow(r: RequestSummary): SessionLedgerRow {
  return {
    id: r.id,
    sessionId: r.sessionId ?? '',
    sessionInferred: r.sessionInferred,
    turnId: r.turnId,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    client: r.client,
    api: r.api,
    outcome: r.outcome,
    truncated: r.truncated,
    diagnosis: r.diagnosis,
    upstream: r.upstream,
    upstreamUrl: r.upstreamUrl,
    model: r.responseModel ?? r.model,
    usage: r.usage,
    messages: r.conversation?.messages ?? null,
    firstPrompt: r.conversation?.firstPrompt ?? null,
  };
}

/** Each count summed; null where no request reported it. */
export function sumUsage(usages: Iterable<Usage>): Usage {
  const out: Usage = { inputTokens: null, outputTokens: null, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false };
  for (const u of usages) {
    for (const k of ['inputTokens', 'outputTokens', 'reasoningTokens', 'cachedTokens', 'totalTokens'] as const) {
      if (u[k] !== null) out[k] = (out[k] ?? 0) + u[k]!;
    }
    out.estimated ||= u.estimated;
  }
  return out;
}

/** The title: the first prompt of the session's longest conversation (its main thread,
 * not a side request such as a quota check), the latest of equals. */
function title(ledger: readonly SessionLedgerRow[]): string | null {
  let best: SessionLedgerRow | null = null;
  for (const r of ledger) if (r.firstPrompt !== null && (best === null || (r.messages ?? 0) >= (best.messages ?? 0))) best = r;
  return best?.firstPrompt ?? null;
}

/** The summary of one session from its ledger (oldest first) and its last turn's
 * attempts: the same for the list and for one session's view. */
function buildSummary(ledger: readonly SessionLedgerRow[], lastTurn: readonly Attempt[], now: number): SessionSummary {
  const first = ledger[0]!;
  const latest = ledger[ledger.length - 1]!;
  const order = turnOrder(ledger);
  const last = lastTurnId(ledger);
  let previousInputTokens: number | null = null;
  let lastRow: SessionLedgerRow | null = null;
  let endedAt = first.startedAt;
  for (let i = ledger.length - 1; i >= 0; i--) {
    const r = ledger[i]!;
    endedAt = Math.max(endedAt, r.endedAt ?? r.startedAt);
    if (r.turnId === last) lastRow ??= r;
    else if (previousInputTokens === null && r.usage.inputTokens !== null) previousInputTokens = r.usage.inputTokens;
  }
  const ending = sessionEnding({
    client: latest.client,
    turnCount: order.ids.length,
    turnIndex: last !== null ? (order.index.get(last) ?? order.ids.length) : 0,
    attempts: lastTurn,
    previousInputTokens,
    contextWindow: lastRow ? contextWindow(refOf(lastRow)) : null,
    now,
  });
  return {
    sessionId: first.sessionId,
    inferred: ledger.some((r) => r.sessionInferred),
    client: latest.client,
    title: title(ledger),
    startedAt: first.startedAt,
    endedAt,
    requests: ledger.length,
    turnCount: order.ids.length,
    usage: sumUsage(ledger.map((r) => r.usage)),
    costUsd: ledgerCost(ledger),
    ending,
    lastOutcome: latest.outcome,
    lastTruncated: latest.outcome === 'completed' && latest.truncated,
    lastDiagnosis: latest.diagnosis,
    lastRequestId: latest.id,
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

/** Sessions with a request matching the filter, the one whose latest request started
 * last first. Filtered by ending, sessions are judged a page at a time until `limit`
 * match or SESSION_SCAN_LIMIT were examined. Between pages the event loop is given
 * back: in the desktop app and `serve` the store is read on the loop that streams. */
export async function listSessions(store: Store, filter: SessionFilter, limit: number, now = Date.now()): Promise<SessionSummary[]> {
  const { ending, ...records } = filter;
  const byEnding = ending !== undefined && ending.length > 0;
  const ids = store.sessionIds(records, byEnding ? SESSION_SCAN_LIMIT : limit);
  const out: SessionSummary[] = [];
  for (let i = 0; i < ids.length && out.length < limit; i += SCAN_PAGE) {
    if (i > 0) await nextTurn();
    for (const s of summaries(store, ids.slice(i, i + SCAN_PAGE), now)) {
      if (byEnding && !ending.includes(s.ending.kind)) continue;
      out.push(s);
      if (out.length >= limit) break;
    }
  }
  return out;
}

function summaries(store: Store, sessionIds: readonly string[], now: number): SessionSummary[] {
  const ledgers = byKey(store.sessionLedger(sessionIds), (r) => r.sessionId);
  const lastTurns = new Map<string, string>();
  for (const [sessionId, ledger] of ledgers) {
    const t = lastTurnId(ledger);
    if (t !== null) lastTurns.set(sessionId, t);
  }
  const attempts = byKey(store.turnAttempts([...new Set(lastTurns.values())]), (r) => r.turnId);
  const out: SessionSummary[] = [];
  for (const id of sessionIds) {
    const ledger = ledgers.get(id);
    if (ledger) out.push(buildSummary(ledger, attempts.get(lastTurns.get(id) ?? '') ?? [], now));
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
      estimated = inputTokens !== null;
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
  const { records, truncated } = sessionRecords(store, sessionId);
  if (records.length === 0) return null;
  const ledger = records.map(ledgerRow);
  const grouped = byKey(turnRows(records), (r) => r.turnId);
  const last = lastTurnId(ledger);
  const summary = buildSummary(ledger, last !== null ? (grouped.get(last) ?? []) : [], now);
  const turns: SessionTurn[] = [];
  for (const [id, attempts] of grouped) {
    const first = attempts[0]!;
    const final = attempts[attempts.length - 1]!;
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
      usage: sumUsage(attempts.map((a) => a.usage)),
      costUsd: ledgerCost(attempts.map(ledgerRow)),
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

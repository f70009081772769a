// Places every record in its agent session and its turn, as it is recorded (DESIGN.md,
// "Sessions, turns and attempts"). The recorder calls link() once per request, with the
// body after it is on its way upstream, and settled() when the request ends; nothing
// here runs per chunk. State is in memory, bounded, and rebuilt at start from the
// records of the last half hour (warm()), so a retry or a conversation that spans a
// restart is still linked.
//
// Sessions: the id a tool sends in a header, as is. Without one, a request continues an
// earlier request's session when it comes from the same tool (any version) with the same
// credential, within SESSION_GAP_MS of it, and its messages hold the earlier request's
// last message at the same place (the conversation was extended, or re-sent). Anything
// else starts a new inferred session, so two unrelated scripts on one SDK and one key
// are two sessions. Requests with no conversation (models, embeddings) join the latest
// session of their tool and credential within the gap.
//
// Turns: within a session, a request whose turn fingerprint equals that of a recent
// request which did not complete is another attempt of that request's turn; the SDKs'
// x-stainless-retry-count says so outright. A request that repeats a completed one is a
// new turn (a script asking the same question again).

import type { Outcome, RequestRecord, RequestSummary } from '../../common/record.js';
import type { Store } from '../db/store.js';
import type { TurnLinker } from '../recorder/recording.js';
import { clientName } from './client-name.js';
import { isConversationApi, readConversation, type ConversationRead } from './conversation.js';

/** Requests without a session header more than this far apart start a new session. */
export const SESSION_GAP_MS = 30 * 60_000;
/** A failed attempt is retried within this long of its end, or it was not a retry. */
export const RETRY_WINDOW_MS = 5 * 60_000;
/** An SDK-marked retry (x-stainless-retry-count > 0) is linked over a longer wait: the
 * SDKs honour retry-after, which can be minutes. */
const MARKED_RETRY_WINDOW_MS = SESSION_GAP_MS;
/** Entries kept per map; the oldest go first. Bounds memory whatever the traffic. */
const MAX_ENTRIES = 20_000;
const WARM_PAGE = 1_000;

interface TurnState {
  turnId: string;
  attempts: number;
  lastRecordId: string;
  lastOutcome: Outcome;
  /** last activity of the turn's latest attempt (start while live, end once settled) */
  at: number;
}

interface LatestState {
  sessionId: string;
  at: number;
}

interface TailState extends LatestState {
  scope: string;
  index: number;
}

/** `inferred:<id of the session's first request>`; the record's own id when it starts one. */
export function inferredSessionId(firstRecordId: string): string {
  return `inferred:${firstRecordId}`;
}

function scopeOf(r: Pick<RequestRecord, 'client' | 'credentialFingerprint'>): string {
  return `${r.client === null ? '' : clientName(r.client)}\u0000${r.credentialFingerprint ?? ''}`;
}

function lastActivity(r: Pick<RequestRecord, 'startedAt' | 'endedAt'>): number {
  return r.endedAt ?? r.startedAt;
}

/** Insertion-ordered map that forgets its oldest entries. `touch` moves a key to the end. */
class Recent<V extends { at: number }> {
  readonly map = new Map<string, V>();
  constructor(
    private readonly maxAgeMs: number,
    private readonly onEvict?: (value: V) => void,
  ) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  touch(key: string, value: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, value);
    // The map is in touch order, close enough to age order: stop at the first entry
    // young enough to keep.
    for (const [k, v] of this.map) {
      if (this.map.size <= MAX_ENTRIES && v.at >= now - this.maxAgeMs) break;
      this.map.delete(k);
      this.onEvict?.(v);
    }
  }
}

export class SessionLinker implements TurnLinker {
  private readonly turns = new Recent<TurnState>(MARKED_RETRY_WINDOW_MS);
  /** (scope, index, hash of the message at that index) → the session whose request ended there */
  private readonly tails = new Recent<TailState>(SESSION_GAP_MS, (t) => this.forgetTailIndex(t));
  /** scope → the message indexes `tails` holds for it, with how many entries use each */
  private readonly tailIndexes = new Map<string, Map<number, number>>();
  /** scope → its latest inferred session, for requests without a conversation */
  private readonly latest = new Recent<LatestState>(SESSION_GAP_MS);
  /** records in flight → their keys, so settled() can update what link() registered */
  private readonly pending = new Map<string, { turnKey: string | null; tailKey: string | null }>();

  link(rec: RequestRecord, body: Buffer | null, json: unknown): void {
    const read = readConversation(rec, body, json);
    rec.turnFingerprint = read.fingerprint;
    rec.conversation = read.facts;
    let tailKey: string | null = null;
    if (rec.sessionId === null) tailKey = this.inferSession(rec, read);
    const turnKey = this.assignTurn(rec);
    this.pending.set(rec.id, { turnKey, tailKey });
    // Bounded even if settled() never comes (it always does; this is belt and braces).
    if (this.pending.size > MAX_ENTRIES) this.pending.delete(this.pending.keys().next().value!);
  }

  settled(rec: RequestRecord): void {
    const keys = this.pending.get(rec.id);
    if (!keys) return;
    this.pending.delete(rec.id);
    const at = lastActivity(rec);
    if (keys.turnKey) {
      const t = this.turns.get(keys.turnKey);
      if (t && t.lastRecordId === rec.id) {
        t.lastOutcome = rec.outcome;
        t.at = at;
      }
    }
    if (keys.tailKey) {
      const tail = this.tails.get(keys.tailKey);
      if (tail && tail.sessionId === rec.sessionId) tail.at = Math.max(tail.at, at);
    }
    if (rec.sessionInferred && rec.sessionId) {
      const scope = scopeOf(rec);
      const l = this.latest.get(scope);
      if (l && l.sessionId === rec.sessionId) l.at = Math.max(l.at, at);
    }
  }

  /** Replays recorded requests (oldest first) so links made before a restart carry on. */
  warm(records: Iterable<RequestSummary>): void {
    for (const r of records) {
      const at = lastActivity(r);
      if (r.sessionId !== null && r.sessionInferred) {
        const scope = scopeOf(r);
        if (r.conversation) this.registerTail(scope, r.conversation.messages - 1, r.conversation.tailHash, r.sessionId, at);
        this.latest.touch(scope, { sessionId: r.sessionId, at }, at);
      }
      if (r.sessionId !== null && r.turnFingerprint !== null) {
        this.turns.touch(turnKeyOf(r.sessionId, r.turnFingerprint), { turnId: r.turnId, attempts: r.attempt, lastRecordId: r.id, lastOutcome: r.outcome, at }, at);
      }
    }
  }

  /** Sets the record's inferred session; returns the key its conversation tail was registered under. */
  private inferSession(rec: RequestRecord, read: ConversationRead): string | null {
    const scope = scopeOf(rec);
    const now = rec.startedAt;
    let sessionId: string | null = null;
    if (read.facts) {
      // Longest continued conversation first: the latest request of it is the best match.
      const indexes = [...(this.tailIndexes.get(scope)?.keys() ?? [])].filter((i) => i < read.facts!.messages).sort((a, b) => b - a);
      for (const i of indexes) {
        const hash = read.messageHash(i);
        const tail = hash ? this.tails.get(tailKeyOf(scope, i, hash)) : undefined;
        if (tail && now - tail.at <= SESSION_GAP_MS) {
          sessionId = tail.sessionId;
          break;
        }
      }
    } else {
      const l = this.latest.get(scope);
      if (l && now - l.at <= SESSION_GAP_MS) sessionId = l.sessionId;
    }
    sessionId ??= inferredSessionId(rec.id);
    rec.sessionId = sessionId;
    rec.sessionInferred = true;
    this.latest.touch(scope, { sessionId, at: now }, now);
    if (!read.facts) return null;
    return this.registerTail(scope, read.facts.messages - 1, read.facts.tailHash, sessionId, now);
  }

  private registerTail(scope: string, index: number, hash: string, sessionId: string, at: number): string {
    const key = tailKeyOf(scope, index, hash);
    const known = this.tails.get(key);
    if (known) this.forgetTailIndex(known);
    let counts = this.tailIndexes.get(scope);
    if (!counts) this.tailIndexes.set(scope, (counts = new Map()));
    counts.set(index, (counts.get(index) ?? 0) + 1);
    this.tails.touch(key, { sessionId, at, scope, index }, at);
    return key;
  }

  /** Keeps the per-scope index counts in step with the entries `tails` holds. */
  private forgetTailIndex(t: TailState): void {
    const counts = this.tailIndexes.get(t.scope);
    if (!counts) return;
    const n = (counts.get(t.index) ?? 1) - 1;
    if (n > 0) counts.set(t.index, n);
    else counts.delete(t.index);
    if (counts.size === 0) this.tailIndexes.delete(t.scope);
  }

  /** Sets turnId and attempt; returns the key of the turn's state. */
  private assignTurn(rec: RequestRecord): string | null {
    if (rec.sessionId === null || rec.turnFingerprint === null) return null;
    const key = turnKeyOf(rec.sessionId, rec.turnFingerprint);
    const prev = this.turns.get(key);
    const now = rec.startedAt;
    const markedRetry = (rec.retryCount ?? 0) > 0;
    const retry =
      prev !== undefined &&
      prev.lastOutcome !== 'completed' &&
      // A live identical request is being retried only if it is a conversation: the
      // client gave up on its stream. Identical live count_tokens or models calls are
      // just concurrent.
      (prev.lastOutcome !== 'in_progress' || isConversationApi(rec.api) || markedRetry) &&
      now - prev.at <= (markedRetry ? MARKED_RETRY_WINDOW_MS : RETRY_WINDOW_MS);
    if (retry) {
      rec.turnId = prev.turnId;
      rec.attempt = prev.attempts + 1;
      this.turns.touch(key, { turnId: prev.turnId, attempts: rec.attempt, lastRecordId: rec.id, lastOutcome: 'in_progress', at: now }, now);
    } else {
      rec.turnId = rec.id;
      rec.attempt = 1;
      this.turns.touch(key, { turnId: rec.id, attempts: 1, lastRecordId: rec.id, lastOutcome: 'in_progress', at: now }, now);
    }
    return key;
  }
}

function turnKeyOf(sessionId: string, fingerprint: string): string {
  return `${sessionId}\u0000${fingerprint}`;
}

function tailKeyOf(scope: string, index: number, hash: string): string {
  return `${scope}\u0000${index}\u0000${hash}`;
}

/** A linker that carries on from the records of the last SESSION_GAP_MS (read at start,
 * before any traffic: retries and conversations that span a restart stay linked). */
export function createSessionLinker(store: Pick<Store, 'list'>, now = Date.now()): SessionLinker {
  const linker = new SessionLinker();
  const recent: RequestSummary[] = [];
  let before: { startedAt: number; id: string } | undefined;
  while (recent.length < MAX_ENTRIES) {
    const page = store.list({ since: now - SESSION_GAP_MS }, before ? { limit: WARM_PAGE, before } : { limit: WARM_PAGE });
    recent.push(...page);
    if (page.length < WARM_PAGE) break;
    const last = page[page.length - 1]!;
    before = { startedAt: last.startedAt, id: last.id };
  }
  linker.warm(recent.reverse());
  return linker;
}

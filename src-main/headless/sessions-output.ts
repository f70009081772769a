// What `streamtap sessions` prints: the table (one session per entry, with its ending),
// the JSON document (format version 1, documented by schema/sessions.schema.json), and
// one session's story for `--show ID`. Pure formatting over the core's session model.

import type { SessionDetail, SessionEndingKind, SessionSummary, SessionTurn } from '../common/contract.js';
import type { Outcome, Usage } from '../common/record.js';
import { fmtDuration, fmtInt } from '../core/sessions/endings.js';

export const SESSIONS_FORMAT_VERSION = 1;

/** The JSON shape of one session (schema/sessions.schema.json). */
export interface SessionJson {
  id: string;
  client: string | null;
  title: string | null;
  startedAt: string;
  endedAt: string | null;
  turns: { id: string; attempts: { recordId: string; outcome: Outcome; stream: boolean; httpStatus: number | null }[] }[];
  usage: Usage;
  costUsd: number | null;
  ending: { kind: SessionEndingKind; diagnosis: string; recordId: string | null };
}

export interface SessionsJson {
  formatVersion: typeof SESSIONS_FORMAT_VERSION;
  sessions: SessionJson[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function sessionJson(s: SessionDetail): SessionJson {
  return {
    id: s.sessionId,
    client: s.client,
    title: s.title,
    startedAt: iso(s.startedAt),
    endedAt: s.endedAt === null ? null : iso(s.endedAt),
    turns: s.turns.map((t) => ({
      id: t.id,
      attempts: t.attempts.map((a) => ({ recordId: a.recordId, outcome: a.outcome, stream: a.stream, httpStatus: a.httpStatus })),
    })),
    usage: { ...s.usage },
    costUsd: s.costUsd,
    ending: { kind: s.ending.kind, diagnosis: s.ending.diagnosis, recordId: s.ending.recordId },
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s.slice(0, n - 1)} ` : s + ' '.repeat(n - s.length);
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function tokens(n: number | null): string {
  if (n === null) return '-';
  return n >= 10_000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : String(n);
}

export function fmtCost(usd: number | null): string {
  if (usd === null) return '-';
  return usd >= 1 ? `$${usd.toFixed(2)}` : usd >= 0.01 ? `$${usd.toFixed(3)}` : `$${usd.toFixed(4)}`;
}

/** Three lines per session: when, who, size, cost, ending and id; the title; the diagnosis. */
export function sessionTableEntry(s: SessionSummary): string {
  const tok = `${tokens(s.usage.inputTokens)}/${s.usage.estimated ? '~' : ''}${tokens(s.usage.outputTokens)} tok`;
  const head = `${when(s.startedAt)}  ${pad(s.client ?? '-', 20)}${pad(`${s.requests} req`, 8)}${pad(`${s.turnCount} turn${s.turnCount === 1 ? '' : 's'}`, 10)}${pad(tok, 16)}${pad(fmtCost(s.costUsd), 9)}${pad(s.ending.kind, 23)}${s.inferred ? '(inferred) ' : ''}${s.sessionId}`;
  return `${head}\n${s.title ? `    "${s.title}"\n` : ''}    ${s.ending.diagnosis}\n`;
}

function contextLine(t: SessionTurn): string {
  const c = t.context;
  if (c.inputTokens === null) return 'context unknown';
  const tokensText = `${c.estimated ? '~' : ''}${fmtInt(c.inputTokens)}`;
  if (c.window === null) return `context ${tokensText} tokens`;
  const pct = c.fraction !== null ? ` (${Math.round(c.fraction * 100)} %)` : '';
  return `context ${tokensText} of ${fmtInt(c.window)}${pct}${c.refused ? ', refused: too long' : c.nearLimit ? ', near the limit' : ''}`;
}

/** One session told from its ending back through its turns and their attempts. */
export function sessionStory(s: SessionDetail): string {
  const lines: string[] = [];
  const span = s.endedAt !== null ? ` → ${when(s.endedAt).slice(11)} (${fmtDuration(s.endedAt - s.startedAt)})` : '';
  lines.push(`Session ${s.sessionId}${s.inferred ? ' (inferred: the tool sent no session header)' : ''}`);
  lines.push(`${s.client ?? 'unknown client'} · ${when(s.startedAt)}${span}`);
  if (s.title) lines.push(`"${s.title}"`);
  lines.push(
    `${s.turnCount} turn${s.turnCount === 1 ? '' : 's'} · ${s.requests} request${s.requests === 1 ? '' : 's'} · ${s.usage.inputTokens !== null ? fmtInt(s.usage.inputTokens) : '-'} in / ${s.usage.estimated ? '~' : ''}${s.usage.outputTokens !== null ? fmtInt(s.usage.outputTokens) : '-'} out tokens · ${fmtCost(s.costUsd)}`,
  );
  lines.push('');
  lines.push(`Ended: ${s.ending.kind}${s.ending.recordId ? ` (request ${s.ending.recordId})` : ''}`);
  lines.push(`  ${s.ending.diagnosis}`);
  if (s.turnsTruncated) lines.push('', `(only the latest turns are shown: the session has more requests than one read returns)`);
  for (const t of s.turns) {
    lines.push('');
    lines.push(`Turn ${t.index}  ${when(t.startedAt).slice(11)}  ${t.model ?? t.api}  ${contextLine(t)}  ${fmtCost(t.costUsd)}`);
    if (t.prompt) lines.push(`  "${t.prompt}"`);
    for (const a of t.attempts) {
      const outcome = a.truncated ? 'truncated' : a.outcome;
      const ttft = a.ttftMs !== null ? `ttft ${fmtDuration(a.ttftMs)}` : '';
      const parts = [`#${a.attempt}`, pad(outcome, 22), pad(a.stream ? 'stream' : 'no stream', 10), pad(String(a.httpStatus ?? '-'), 4), pad(ttft, 14), pad(fmtDuration(a.durationMs), 9)];
      lines.push(`  ${parts.join(' ')} ${a.diagnosis}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

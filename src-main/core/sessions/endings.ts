// How a session ended, and one sentence saying so in the session's terms (the tool's
// name, its turn, its attempts): decided by the attempts of its last turn, since an
// agent stops where its last request stopped. Pure: the sessions list and one
// session's view call the same function with the same facts.
//
//   in_progress            the last attempt is still live
//   completed / truncated  the last attempt completed (truncated: stopped by the token limit),
//                          after the failed attempts before it, if any
//   context_exhausted      the provider refused the last attempt: the conversation no longer fits
//   rate_limited           the last attempt (and those right before it) got 429
//   client_aborted         the tool (or its user) closed the last attempt's connection
//   interrupted            Streamtap itself stopped during the last attempt
//   gave_up_after_retries  two or more attempts, all failed, and the tool stopped
//   upstream_error, upstream_disconnected, upstream_unreachable, timeout
//                          a single failed attempt: its outcome

import type { SessionEnding, SessionEndingKind } from '../../common/contract.js';
import type { RequestSummary } from '../../common/record.js';
import { describeCode } from '../recorder/classify.js';
import { clientName } from './client-name.js';
import { contextRefusal } from './context-limit.js';

export type Attempt = Pick<
  RequestSummary,
  'id' | 'startedAt' | 'endedAt' | 'outcome' | 'phase' | 'truncated' | 'stream' | 'httpStatus' | 'error' | 'errorMessage' | 'stopReason' | 'eventCount' | 'usage' | 'timings' | 'evidence' | 'upstream'
>;

export interface EndingFacts {
  /** the client label of the session's latest request */
  client: string | null;
  turnCount: number;
  /** 1-based index of the last turn */
  turnIndex: number;
  /** the last turn's attempts, oldest first; empty for a session with no request */
  attempts: readonly Attempt[];
  /** input tokens of the latest earlier turn that reported usage */
  previousInputTokens: number | null;
  /** the last turn's model's context window, from the catalog */
  contextWindow: number | null;
  now: number;
}

// Made once: toLocaleString builds a formatter on every call.
const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return INT.format(Math.round(n));
}

export function fmtDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '?';
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** A retry-after in seconds as the provider gave it: 60, 2.5, 0.05. */
function fmtSeconds(s: number): string {
  if (s >= 10) return String(Math.round(s));
  return String(Number(s.toPrecision(2)));
}

const one = (n: number, singular: string, plural = `${singular}s`): string => (n === 1 ? `one ${singular}` : `${n} ${plural}`);
const outputTokens = (a: Attempt): string => {
  const n = a.usage.outputTokens!;
  return `${a.usage.estimated ? '~' : ''}${fmtInt(n)} output token${n === 1 ? '' : 's'}`;
};
const events = (n: number): string => (n === 0 ? 'before any event' : `after ${n} event${n === 1 ? '' : 's'}`);

function duration(a: Attempt, now: number): number {
  return a.timings.durationMs ?? (a.endedAt ?? now) - a.startedAt;
}

function isRateLimited(a: Attempt): boolean {
  return a.outcome === 'upstream_error' && (a.httpStatus === 429 || a.error?.type === 'rate_limit_error' || a.error?.code === 'rate_limit_exceeded');
}

function errorText(a: Attempt): string {
  const e = a.error;
  if (!e) return '';
  const kind = e.type ?? e.code;
  const msg = e.message ? e.message.replace(/\s+/g, ' ').trim() : '';
  const short = msg.length > 120 ? `${msg.slice(0, 119)}…` : msg;
  return kind && short ? `${kind}: ${short}` : (kind ?? short);
}

/** How one failed attempt failed: a key that groups alike failures, how to say it of
 * each, and how to count several. */
interface Failure {
  key: string;
  each: string;
  count(n: number): string;
}

function failure(a: Attempt): Failure {
  switch (a.outcome) {
    case 'upstream_disconnected':
      return {
        key: 'dropped',
        each: a.phase === 'before_first_chunk' ? 'the provider dropped the stream before any content' : `the provider dropped the stream ${events(a.eventCount)}`,
        count: (n) => one(n, 'dropped stream'),
      };
    case 'upstream_error': {
      if (isRateLimited(a)) return { key: 'rate', each: 'the provider rate-limited it (429)', count: (n) => `${one(n, 'rate-limited attempt')} (429)` };
      if (a.httpStatus !== null && a.httpStatus >= 400) {
        const kind = a.error?.type ?? a.error?.code;
        return { key: `http-${a.httpStatus}`, each: `the provider answered ${a.httpStatus}${kind ? ` (${kind})` : ''}`, count: (n) => one(n, `${a.httpStatus} error`) };
      }
      const kind = a.error?.type ?? a.error?.code;
      return { key: 'event', each: `the provider sent an error event${kind ? ` (${kind})` : ''}`, count: (n) => one(n, 'error event') };
    }
    case 'timeout':
      return a.phase === 'before_response'
        ? { key: 'headers', each: 'the provider sent no response headers in time', count: (n) => one(n, 'header timeout') }
        : { key: 'idle', each: 'the stream went silent (idle timeout)', count: (n) => one(n, 'stalled stream') };
    case 'upstream_unreachable':
      return {
        key: 'unreachable',
        each: `Streamtap could not reach the provider${a.evidence.errorCode ? ` (${describeCode(a.evidence.errorCode)})` : ''}`,
        count: (n) => one(n, 'failed connection'),
      };
    case 'client_aborted':
      return { key: 'aborted', each: 'the client closed the connection', count: (n) => one(n, 'cancelled attempt') };
    case 'interrupted':
      return { key: 'interrupted', each: 'Streamtap stopped', count: (n) => one(n, 'interrupted attempt') };
    case 'in_progress':
    case 'completed':
      return { key: a.outcome, each: a.outcome, count: (n) => one(n, a.outcome) };
  }
}

/** "one dropped stream", "2 dropped streams, then one 500 error" */
function tally(attempts: readonly Attempt[]): string {
  const groups: { f: Failure; n: number }[] = [];
  for (const a of attempts) {
    const f = failure(a);
    const last = groups[groups.length - 1];
    if (last && last.f.key === f.key) last.n++;
    else groups.push({ f, n: 1 });
  }
  return groups.map((g) => g.f.count(g.n)).join(', then ');
}

/** "each time the provider dropped the stream after 5 events", or the tally. */
function howTheyFailed(attempts: readonly Attempt[]): string {
  const fs = attempts.map(failure);
  if (fs.every((f) => f.key === fs[0]!.key)) {
    if (fs[0]!.key === 'dropped' && attempts.every((a) => a.phase !== 'before_first_chunk')) {
      const counts = attempts.map((a) => a.eventCount);
      const lo = Math.min(...counts);
      const hi = Math.max(...counts);
      return `each time the provider dropped the stream ${lo === hi ? events(lo) : `after ${lo}–${hi} events`}`;
    }
    if (fs.every((f) => f.each === fs[0]!.each)) return `each time ${fs[0]!.each}`;
  }
  return tally(attempts);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function sessionEnding(f: EndingFacts): SessionEnding {
  const final = f.attempts[f.attempts.length - 1];
  const who = f.client ? clientName(f.client) : 'the client';
  const Who = capitalize(who);
  const turn = `turn ${f.turnIndex}`;
  const ending = (kind: SessionEndingKind, diagnosis: string): SessionEnding => ({ kind, diagnosis, recordId: final?.id ?? null });
  if (!final) return { kind: 'completed', diagnosis: 'No requests.', recordId: null };
  const failed = f.attempts.slice(0, -1);
  const k = f.attempts.length;
  const after = failed.length ? ` after ${tally(failed)}` : '';
  const dur = duration(final, f.now);

  if (final.outcome === 'in_progress') {
    const what = final.eventCount > 0 ? `streaming for ${fmtDuration(dur)} (${final.eventCount} events so far)` : `waiting ${fmtDuration(dur)} for the provider`;
    return ending('in_progress', `${capitalize(turn)} is still running: ${k > 1 ? `attempt ${k}${after}, ` : ''}${what}.`);
  }

  if (final.outcome === 'completed') {
    if (final.truncated) {
      const out = final.usage.outputTokens;
      return ending(
        'truncated',
        `The answer to ${turn} was cut off by the output token limit (stop reason: ${final.stopReason})${out !== null ? ` after ${outputTokens(final)}` : ''}${failed.length ? `, on attempt ${k}` : ''}; ${who} stopped there.`,
      );
    }
    if (failed.length) {
      const how = failed.length === 1 && failed[0]!.stream && !final.stream ? 'retried without streaming' : `recovered on attempt ${k}`;
      return ending('completed', `Completed, after ${tally(failed)} ${how}.`);
    }
    const stop = final.stopReason ? ` (${final.stopReason})` : '';
    return ending('completed', f.turnCount === 1 ? `Completed: one turn, answered normally${stop}.` : `Completed: ${f.turnCount} turns, the last answered normally${stop}.`);
  }

  const refusal = contextRefusal(final);
  if (refusal) {
    const window = refusal.limitTokens ?? f.contextWindow;
    const needed = refusal.requestedTokens;
    if (f.previousInputTokens !== null && window !== null) {
      return ending(
        'context_exhausted',
        `The conversation reached ${fmtInt(f.previousInputTokens)} of the model's ${fmtInt(window)} input tokens and the provider refused the next turn${needed !== null ? ` (it needed ${fmtInt(needed)})` : ''}.`,
      );
    }
    if (needed !== null && window !== null) {
      return ending('context_exhausted', `${capitalize(turn)} needed ${fmtInt(needed)} of the model's ${fmtInt(window)} input tokens and the provider refused it.`);
    }
    return ending('context_exhausted', `The provider refused ${turn}: the conversation no longer fits the model's context window${final.error?.message ? ` (${errorText(final)})` : ''}.`);
  }

  if (isRateLimited(final)) {
    let run = 0;
    for (let i = f.attempts.length - 1; i >= 0 && isRateLimited(f.attempts[i]!); i--) run++;
    const quota = /quota/i.test(`${final.error?.type ?? ''} ${final.error?.code ?? ''}`) ? ` ${final.error?.code ?? final.error?.type}` : '';
    const retry = final.error?.retryAfterS != null ? `, retry after ${fmtSeconds(final.error.retryAfterS)} s` : '';
    const what = run === 1 ? `the last request of ${turn}` : `${run} attempts in a row`;
    return ending('rate_limited', `The provider rate-limited ${what} (429${quota}${retry}); ${who} stopped.`);
  }

  if (final.outcome === 'client_aborted') {
    const when =
      final.phase === 'before_response'
        ? `after ${fmtDuration(dur)}, before the provider answered`
        : `${fmtDuration(dur)} into the answer${final.usage.outputTokens !== null ? `, after ${outputTokens(final)}` : ''}`;
    return ending('client_aborted', `${Who} closed the connection on ${turn} ${when}${failed.length ? ` (attempt ${k}${after})` : ''}; the answer was not complete.`);
  }

  if (final.outcome === 'interrupted') {
    return ending('interrupted', `Streamtap stopped (quit, crash or kill) while ${turn} was in flight${final.eventCount > 0 ? `, ${events(final.eventCount)}` : ''}; the partial answer was kept.`);
  }

  if (k >= 2) {
    const span = (final.endedAt ?? f.now) - f.attempts[0]!.startedAt;
    return ending('gave_up_after_retries', `${Who} gave up after ${k} attempts in ${fmtDuration(span)}: ${howTheyFailed(f.attempts)}.`);
  }

  switch (final.outcome) {
    case 'upstream_error': {
      const err = errorText(final);
      if (final.httpStatus !== null && final.httpStatus >= 400) {
        return ending('upstream_error', `The provider answered ${final.httpStatus}${err ? ` (${err})` : ''} on ${turn}; ${who} stopped.`);
      }
      return ending('upstream_error', `The provider sent an error event${err ? ` (${err})` : ''} ${fmtDuration(dur)} into the answer to ${turn}; ${who} stopped.`);
    }
    case 'upstream_disconnected':
      return ending(
        'upstream_disconnected',
        final.phase === 'before_first_chunk'
          ? `The provider dropped the stream of ${turn} before any content (${fmtDuration(dur)}); ${who} did not retry.`
          : `The provider dropped the stream of ${turn} ${events(final.eventCount)} (${fmtDuration(dur)} in); ${who} did not retry.`,
      );
    case 'upstream_unreachable':
      if (final.evidence.closeSide === 'proxy') return ending('upstream_unreachable', `${final.errorMessage ?? 'No upstream matched the path'} (${turn}); ${who} stopped.`);
      return ending(
        'upstream_unreachable',
        `Streamtap could not reach the ${final.upstream} upstream on ${turn}${final.evidence.errorCode ? ` (${describeCode(final.evidence.errorCode)})` : ''}; ${who} stopped.`,
      );
    case 'timeout':
      return ending(
        'timeout',
        final.phase === 'before_response'
          ? `The provider sent no response headers for ${turn} within ${fmtDuration(dur)} (header timeout); Streamtap answered 504 and ${who} stopped.`
          : `The stream of ${turn} went silent ${events(final.eventCount)} (idle timeout); Streamtap closed it after ${fmtDuration(dur)}.`,
      );
  }
}

// The evidence in words that are exact for each outcome: who closed the exchange (for
// a refused connection, nobody answered at all), and the error text worth showing under
// a diagnosis that may already say it word for word. Pure.

import type { RequestRecord } from '../../src-main/common/record.js';

const CODE_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
};

type Input = Pick<RequestRecord, 'outcome' | 'phase' | 'evidence' | 'errorMessage'>;

/** "Closed by", as a sentence fragment. */
export function closedBy(r: Input): string {
  const e = r.evidence;
  switch (r.outcome) {
    case 'in_progress':
      return 'still open';
    case 'upstream_unreachable': {
      if (e.closeSide === 'proxy') return 'Streamtap (no upstream for this path)';
      const why = e.errorCode ? (CODE_WORDS[e.errorCode] ?? e.errorCode) : null;
      return `no one: the provider never answered${why ? ` (${why})` : ''}`;
    }
    case 'timeout':
      return r.phase === 'before_response' ? 'Streamtap, after the header timeout' : 'Streamtap, after the idle timeout';
    case 'interrupted':
      return 'Streamtap stopped';
    default:
      switch (e.closeSide) {
        case 'client':
          return 'the client';
        case 'upstream':
          return 'the provider';
        case 'proxy':
          return 'Streamtap';
        case 'none':
          return 'nobody (normal end)';
      }
  }
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** The error texts to show under the diagnosis: each once, none the diagnosis already says. */
export function errorLines(r: Pick<RequestRecord, 'diagnosis' | 'error' | 'errorMessage'>): string[] {
  const said = squash(r.diagnosis);
  const out: string[] = [];
  for (const line of [r.error?.message, r.errorMessage]) {
    if (!line) continue;
    const s = squash(line);
    if (s === '' || said.includes(s) || out.some((o) => squash(o) === s)) continue;
    out.push(line);
  }
  return out;
}

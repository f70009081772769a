// Outcome and diagnosis: turns what the proxy observed into the outcome of DESIGN.md's
// table, its phase, and one sentence a person understands. Pure functions.

import type { ApiKind, Evidence, Outcome, Phase, ProviderError, RequestRecord } from '../../common/record.js';

/** How the exchange ended, as the proxy saw it. */
export type Ending =
  | { kind: 'upstream_end' } // upstream finished its body cleanly
  // the client's connection closed before the response ended (or before its own request body did)
  | { kind: 'client_closed'; inRequestBody?: boolean }
  // the response broke (reset, premature close), or the provider closed before answering at all
  | { kind: 'upstream_failed'; code: string | null; message: string }
  | { kind: 'unreachable'; code: string | null; message: string } // no connection at all (refused, DNS, TLS)
  | { kind: 'no_route'; message: string }
  | { kind: 'header_timeout'; afterMs: number }
  | { kind: 'idle_timeout'; afterMs: number }
  | { kind: 'request_body_timeout'; afterMs: number } // the client stopped sending its body
  // Streamtap answered an error itself (a WebSocket upgrade, a body over the size limit)
  | { kind: 'refused'; message: string; inRequestBody?: boolean }
  | { kind: 'shutdown' }; // Streamtap stopped while the request was in flight

export interface Observed {
  ending: Ending;
  httpStatus: number | null;
  headersReceived: boolean;
  /** the response is an event stream (text/event-stream), whatever the request asked */
  sseResponse: boolean;
  terminalSeen: boolean;
  usageSeen: boolean;
  streamError: ProviderError | null;
  bytesToClient: number;
  stopReason: string | null;
}

const LENGTH_STOPS = new Set(['length', 'max_tokens', 'max_output_tokens', 'model_context_window_exceeded']);

export function isLengthStop(stopReason: string | null): boolean {
  return stopReason !== null && LENGTH_STOPS.has(stopReason);
}

export function classify(o: Observed): { outcome: Outcome; phase: Phase; closeSide: Evidence['closeSide'] } {
  const answered = o.terminalSeen || o.usageSeen;
  const bodyPhase: Phase = o.bytesToClient > 0 ? 'mid_stream' : 'before_first_chunk';
  const e = o.ending;
  switch (e.kind) {
    case 'no_route':
    case 'unreachable':
      return { outcome: 'upstream_unreachable', phase: 'before_response', closeSide: e.kind === 'no_route' ? 'proxy' : 'upstream' };
    case 'header_timeout':
      return { outcome: 'timeout', phase: 'before_response', closeSide: 'proxy' };
    case 'idle_timeout':
      return { outcome: 'timeout', phase: bodyPhase, closeSide: 'proxy' };
    case 'request_body_timeout':
      return { outcome: 'timeout', phase: 'request_body', closeSide: 'proxy' };
    case 'refused':
      // An error answer, never a success: the request did not get what it asked for.
      return { outcome: 'upstream_error', phase: e.inRequestBody ? 'request_body' : 'before_response', closeSide: 'proxy' };
    case 'shutdown':
      return { outcome: 'interrupted', phase: o.httpStatus === null ? 'before_response' : bodyPhase, closeSide: 'proxy' };
    case 'client_closed':
      if (e.inRequestBody) return { outcome: 'client_aborted', phase: 'request_body', closeSide: 'client' };
      if (o.httpStatus !== null && o.httpStatus >= 400) {
        return { outcome: 'upstream_error', phase: bodyPhase, closeSide: 'client' };
      }
      if (o.streamError) return { outcome: 'upstream_error', phase: 'mid_stream', closeSide: 'client' };
      if (answered) return { outcome: 'completed', phase: 'after_terminal', closeSide: 'client' };
      return {
        outcome: 'client_aborted',
        phase: o.bytesToClient > 0 ? 'mid_stream' : 'before_response',
        closeSide: 'client',
      };
    // The provider's side: only its terminal event proves it finished. Final usage
    // without it (message_delta but no message_stop, a chat usage chunk but no [DONE])
    // looks complete, yet the provider never said so: that is still a disconnect.
    case 'upstream_failed':
      if (o.httpStatus !== null && o.httpStatus >= 400) return { outcome: 'upstream_error', phase: bodyPhase, closeSide: 'upstream' };
      if (o.streamError) return { outcome: 'upstream_error', phase: 'mid_stream', closeSide: 'upstream' };
      if (o.terminalSeen) return { outcome: 'completed', phase: 'after_terminal', closeSide: 'upstream' };
      return { outcome: 'upstream_disconnected', phase: o.headersReceived ? bodyPhase : 'before_response', closeSide: 'upstream' };
    case 'upstream_end':
      if (o.httpStatus !== null && o.httpStatus >= 400) return { outcome: 'upstream_error', phase: 'complete', closeSide: 'upstream' };
      if (o.streamError) return { outcome: 'upstream_error', phase: 'mid_stream', closeSide: 'upstream' };
      if (!o.sseResponse || o.terminalSeen) return { outcome: 'completed', phase: 'complete', closeSide: 'none' };
      // A stream that ended cleanly without its terminal event: the provider cut it short.
      return { outcome: 'upstream_disconnected', phase: bodyPhase, closeSide: 'upstream' };
  }
}

function seconds(ms: number | null): string {
  if (ms === null) return '?';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function tokens(r: Pick<RequestRecord, 'usage'>): string {
  const n = r.usage.outputTokens;
  if (n === null) return '';
  return ` after ${r.usage.estimated ? '~' : ''}${n} output token${n === 1 ? '' : 's'}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function events(r: Pick<RequestRecord, 'eventCount'>): string {
  return `${r.eventCount} event${r.eventCount === 1 ? '' : 's'}`;
}

function providerErrorText(e: ProviderError | null): string {
  if (!e) return '';
  const kind = e.type ?? e.code;
  const msg = e.message ? e.message.replace(/\s+/g, ' ').slice(0, 200) : '';
  if (kind && msg) return `${kind}: ${msg}`;
  return kind ?? msg;
}

const CODE_MEANING: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'broken pipe',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_SOCKET: 'socket closed',
  UND_ERR_CLOSED: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

export function describeCode(code: string | null): string {
  if (!code) return '';
  const meaning = CODE_MEANING[code];
  return meaning ? `${code}: ${meaning}` : code;
}

type DiagnosisInput = Pick<
  RequestRecord,
  | 'outcome'
  | 'phase'
  | 'httpStatus'
  | 'stopReason'
  | 'truncated'
  | 'error'
  | 'errorMessage'
  | 'usage'
  | 'eventCount'
  | 'evidence'
  | 'timings'
  | 'upstream'
  | 'upstreamUrl'
  | 'stream'
  | 'api'
  | 'bytesIn'
>;

/** The event that ends each API's stream, for diagnoses that say it never came. */
const TERMINAL_EVENT: Record<ApiKind, string | null> = {
  'chat.completions': '[DONE]',
  responses: 'response.completed',
  messages: 'message_stop',
  embeddings: null,
  other: null,
};

/** One sentence, evidence first-hand, no jargon beyond what the user must act on. */
export function diagnose(r: DiagnosisInput): string {
  const dur = r.timings.durationMs;
  switch (r.outcome) {
    case 'in_progress':
      return r.evidence.eventsSeen > 0
        ? `Streaming: ${events(r)} so far.`
        : 'Waiting for the provider to answer.';
    case 'completed':
      if (r.truncated) {
        return `The answer was cut off by the output token limit (stop reason: ${r.stopReason})${tokens(r)}; raise max_tokens or ask for less.`;
      }
      if (r.phase === 'after_terminal') {
        const side = r.evidence.closeSide === 'client' ? 'client' : 'provider';
        return `The answer was complete${tokens(r)}; the ${side} closed the connection only after ${r.evidence.terminalEventSeen ? 'the terminal event' : 'the final usage'} had arrived.`;
      }
      return `The answer completed normally${r.stopReason ? ` (stop reason: ${r.stopReason})` : ''}${tokens(r)} in ${seconds(dur)}.`;
    case 'client_aborted':
      if (r.phase === 'request_body') {
        return `The client closed the connection ${seconds(dur)} in, while still sending its request body (${bytes(r.bytesIn)} received); ${r.errorMessage ?? 'nothing had been sent to the provider'}.`;
      }
      if (r.phase === 'before_response') {
        return `The client closed the connection after ${seconds(dur)}, before the provider had sent any answer; Streamtap cancelled the upstream request.`;
      }
      return `The client closed the connection ${seconds(dur)} into the stream${tokens(r) || ` after ${events(r)}`}; no terminal event had arrived, and Streamtap cancelled the upstream request.`;
    case 'upstream_error': {
      if (r.evidence.closeSide === 'proxy' && r.httpStatus !== null) {
        const why = (r.errorMessage ?? 'the request was refused').replace(/^Streamtap: /, '');
        return `Streamtap answered HTTP ${r.httpStatus} itself: ${why}.`;
      }
      const err = providerErrorText(r.error);
      const retry = r.error?.retryAfterS != null ? ` Retry after ${r.error.retryAfterS} s.` : '';
      if (r.httpStatus !== null && r.httpStatus >= 400) {
        return `The provider answered HTTP ${r.httpStatus}${err ? ` (${err})` : ''}.${retry}`.replace(/\.\.$/, '.');
      }
      return `The provider sent an error event${err ? ` (${err})` : ''} ${seconds(dur)} into the stream${tokens(r)}.${retry}`;
    }
    case 'upstream_disconnected': {
      if (r.phase === 'before_response') {
        return `The provider accepted the connection, then closed it${r.evidence.errorCode ? ` (${describeCode(r.evidence.errorCode)})` : ''} after ${seconds(dur)} without sending a response; Streamtap answered 502.`;
      }
      const how = r.evidence.errorCode ? `dropped the connection (${describeCode(r.evidence.errorCode)})` : 'ended the stream';
      if (r.phase === 'before_first_chunk') {
        return `The provider ${how} after sending headers but before any content (${seconds(dur)}).`;
      }
      const at = `The provider ${how} ${seconds(dur)} into the stream after ${events(r)}${tokens(r) ? `,${tokens(r).replace(' after', '')}` : ''}`;
      if (r.evidence.usageSeen) {
        const stop = r.stopReason ? `stop reason ${r.stopReason} and usage` : 'final usage';
        const terminal = TERMINAL_EVENT[r.api];
        return `${at} without its terminal event${terminal ? ` (${terminal})` : ''}: the answer looked complete (${stop} had arrived), but the provider never finished the stream.`;
      }
      return `${at}; no terminal event had arrived${r.evidence.lastEvent ? ` (last event: ${r.evidence.lastEvent})` : ''}.`;
    }
    case 'upstream_unreachable':
      if (r.evidence.closeSide === 'proxy') return `${r.errorMessage ?? 'No upstream matched this path'}.`;
      return `Streamtap could not reach the ${r.upstream} upstream at ${r.upstreamUrl}${r.evidence.errorCode ? ` (${describeCode(r.evidence.errorCode)})` : r.errorMessage ? ` (${r.errorMessage})` : ''}.`;
    case 'timeout':
      if (r.phase === 'request_body') {
        return `The client stopped sending its request body after ${bytes(r.bytesIn)}; Streamtap gave up after ${seconds(dur)} (idle timeout), answered 408, and ${r.errorMessage ?? 'nothing had been sent to the provider'}.`;
      }
      if (r.phase === 'before_response') {
        return `The provider sent no response headers within ${seconds(dur)} (header timeout); Streamtap gave up and answered 504.`;
      }
      return `The stream went silent (idle timeout) after ${events(r)}${tokens(r) ? `,${tokens(r).replace(' after', '')}` : ''}; Streamtap closed both connections after ${seconds(dur)}.`;
    case 'interrupted':
      // A shutdown that was seen (a signal, a quit) says so; a crash is found at the next start.
      if (r.evidence.errorCode === 'shutdown' && r.errorMessage) {
        return `${r.errorMessage}${r.eventCount > 0 ? `, after ${events(r)}` : ''}; the partial answer was kept.`;
      }
      return `Streamtap stopped (quit, crash or kill) while this request was in flight${r.eventCount > 0 ? `, after ${events(r)}` : ''}; the partial answer was kept.`;
  }
}

import { describe, expect, it } from 'vitest';
import { classify, diagnose, isLengthStop, type Observed } from '../../src-main/core/recorder/classify.js';
import { emptyEvidence, emptyUsage, type RequestRecord } from '../../src-main/common/record.js';
import { recordFixture } from '../fixtures/records.js';

const base: Observed = {
  ending: { kind: 'upstream_end' },
  httpStatus: 200,
  headersReceived: true,
  sseResponse: true,
  terminalSeen: false,
  usageSeen: false,
  streamError: null,
  bytesToClient: 100,
  stopReason: null,
};

describe('classify: the outcome table of DESIGN.md', () => {
  it('a stream with its terminal event is completed', () => {
    expect(classify({ ...base, terminalSeen: true })).toMatchObject({ outcome: 'completed', phase: 'complete' });
  });

  it('a whole non-stream body is completed', () => {
    expect(classify({ ...base, sseResponse: false })).toMatchObject({ outcome: 'completed' });
  });

  it('a client that leaves after the terminal event or final usage still completed', () => {
    expect(classify({ ...base, ending: { kind: 'client_closed' }, terminalSeen: true })).toMatchObject({ outcome: 'completed', phase: 'after_terminal', closeSide: 'client' });
    expect(classify({ ...base, ending: { kind: 'client_closed' }, usageSeen: true })).toMatchObject({ outcome: 'completed', phase: 'after_terminal' });
  });

  it('a client that leaves mid-stream aborted; before any body byte, phase before_response', () => {
    expect(classify({ ...base, ending: { kind: 'client_closed' } })).toMatchObject({ outcome: 'client_aborted', phase: 'mid_stream', closeSide: 'client' });
    expect(classify({ ...base, ending: { kind: 'client_closed' }, httpStatus: null, bytesToClient: 0 })).toMatchObject({ outcome: 'client_aborted', phase: 'before_response' });
  });

  it('non-2xx from the provider and error events inside a 200 stream are upstream_error', () => {
    expect(classify({ ...base, httpStatus: 429, sseResponse: false })).toMatchObject({ outcome: 'upstream_error' });
    const err = { type: 'overloaded_error', code: null, message: 'Overloaded', retryAfterS: null };
    expect(classify({ ...base, streamError: err })).toMatchObject({ outcome: 'upstream_error', phase: 'mid_stream' });
  });

  it('a reset or a clean end without terminal event is upstream_disconnected, with the phase', () => {
    expect(classify({ ...base, ending: { kind: 'upstream_failed', code: 'ECONNRESET', message: 'reset' } })).toMatchObject({ outcome: 'upstream_disconnected', phase: 'mid_stream', closeSide: 'upstream' });
    expect(classify({ ...base, bytesToClient: 0 })).toMatchObject({ outcome: 'upstream_disconnected', phase: 'before_first_chunk' });
  });

  it('an EOF or a reset after final usage but without the terminal event is upstream_disconnected', () => {
    expect(classify({ ...base, usageSeen: true, stopReason: 'end_turn' })).toMatchObject({ outcome: 'upstream_disconnected', phase: 'mid_stream', closeSide: 'upstream' });
    expect(classify({ ...base, usageSeen: true, ending: { kind: 'upstream_failed', code: 'ECONNRESET', message: '' } })).toMatchObject({ outcome: 'upstream_disconnected', closeSide: 'upstream' });
    // The client leaving after final usage is still a complete answer.
    expect(classify({ ...base, usageSeen: true, ending: { kind: 'client_closed' } })).toMatchObject({ outcome: 'completed', phase: 'after_terminal', closeSide: 'client' });
  });

  it('a reset after the terminal event is completed', () => {
    expect(classify({ ...base, terminalSeen: true, ending: { kind: 'upstream_failed', code: 'ECONNRESET', message: '' } })).toMatchObject({ outcome: 'completed', phase: 'after_terminal' });
  });

  it('unreachable, timeouts and shutdown', () => {
    expect(classify({ ...base, httpStatus: null, ending: { kind: 'unreachable', code: 'ECONNREFUSED', message: '' } }).outcome).toBe('upstream_unreachable');
    expect(classify({ ...base, httpStatus: null, ending: { kind: 'header_timeout', afterMs: 1 } })).toMatchObject({ outcome: 'timeout', phase: 'before_response' });
    expect(classify({ ...base, ending: { kind: 'idle_timeout', afterMs: 1 } })).toMatchObject({ outcome: 'timeout', phase: 'mid_stream' });
    expect(classify({ ...base, ending: { kind: 'shutdown' } })).toMatchObject({ outcome: 'interrupted', phase: 'mid_stream' });
  });

  it('length stops are the truncation causes', () => {
    for (const s of ['length', 'max_tokens', 'max_output_tokens']) expect(isLengthStop(s)).toBe(true);
    for (const s of ['stop', 'end_turn', 'tool_use', null]) expect(isLengthStop(s)).toBe(false);
  });
});

function rec(over: Partial<RequestRecord>): RequestRecord {
  return recordFixture({
    endedAt: 12_400,
    startedAt: 0,
    upstream: 'anthropic',
    upstreamUrl: 'https://api.anthropic.com/v1/messages',
    api: 'messages',
    path: '/v1/messages',
    model: 'claude-sonnet-4-5',
    httpStatus: 200,
    outcome: 'completed',
    phase: 'complete',
    evidence: { ...emptyEvidence(), eventsSeen: 40 },
    timings: { firstByteMs: 300, ttftMs: 900, lastEventMs: 12_000, durationMs: 12_400 },
    usage: { ...emptyUsage(), outputTokens: 842 },
    eventCount: 40,
    ...over,
  });
}

describe('diagnose: one sentence a person understands', () => {
  it('client abort mid-stream names the time, the tokens and the missing terminal event', () => {
    const d = diagnose(rec({ outcome: 'client_aborted', phase: 'mid_stream', evidence: { ...emptyEvidence(), closeSide: 'client' } }));
    expect(d).toBe('The client closed the connection 12 s into the stream after 842 output tokens; no terminal event had arrived, and Streamtap cancelled the upstream request.');
  });

  it('upstream error names status, type, message and retry-after', () => {
    const d = diagnose(rec({ outcome: 'upstream_error', httpStatus: 429, error: { type: 'rate_limit_error', code: null, message: 'Rate limited', retryAfterS: 20 } }));
    expect(d).toBe('The provider answered HTTP 429 (rate_limit_error: Rate limited). Retry after 20 s.');
  });

  it('truncation says what to do', () => {
    expect(diagnose(rec({ truncated: true, stopReason: 'max_tokens' }))).toMatch(/cut off by the output token limit \(stop reason: max_tokens\) after 842 output tokens/);
  });

  it('estimated tokens are marked', () => {
    const d = diagnose(rec({ outcome: 'client_aborted', phase: 'mid_stream', usage: { ...emptyUsage(), outputTokens: 10, estimated: true } }));
    expect(d).toContain('~10 output tokens');
  });

  it('disconnects name the error code and the last event', () => {
    const d = diagnose(rec({ outcome: 'upstream_disconnected', phase: 'mid_stream', evidence: { ...emptyEvidence(), errorCode: 'ECONNRESET', lastEvent: 'content_block_delta' } }));
    expect(d).toContain('ECONNRESET: connection reset');
    expect(d).toContain('last event: content_block_delta');
  });

  it('an EOF after final usage says the answer looked complete but the stream never finished', () => {
    const evidence = { ...emptyEvidence(), usageSeen: true, lastEvent: 'message_delta', closeSide: 'upstream' as const };
    const d = diagnose(rec({ outcome: 'upstream_disconnected', phase: 'mid_stream', stopReason: 'end_turn', evidence }));
    expect(d).toBe(
      'The provider ended the stream 12 s into the stream after 40 events, 842 output tokens without its terminal event (message_stop): the answer looked complete (stop reason end_turn and usage had arrived), but the provider never finished the stream.',
    );
    const chat = diagnose(rec({ api: 'chat.completions', outcome: 'upstream_disconnected', phase: 'mid_stream', stopReason: 'stop', evidence }));
    expect(chat).toContain('without its terminal event ([DONE])');
  });

  it('unreachable names the upstream URL and the reason', () => {
    const d = diagnose(rec({ outcome: 'upstream_unreachable', httpStatus: 502, evidence: { ...emptyEvidence(), closeSide: 'upstream', errorCode: 'ECONNREFUSED' } }));
    expect(d).toBe('Streamtap could not reach the anthropic upstream at https://api.anthropic.com/v1/messages (ECONNREFUSED: connection refused).');
  });
});

// Records for the renderer's unit tests (not a test file itself).
import type { RequestRecord, RequestSummary } from '../../src-main/common/record.js';

export function recordFixture(patch: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'r1',
    startedAt: 1_700_000_000_000,
    endedAt: null,
    client: 'Claude Code 2.0.14',
    clientVersion: '2.0.14',
    userAgent: 'claude-cli/2.0.14 (external, cli)',
    sessionId: null,
    credentialFingerprint: null,
    upstream: 'openai',
    upstreamUrl: 'https://api.openai.com/v1/chat/completions',
    api: 'chat.completions',
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'gpt-4.1-mini',
    responseModel: null,
    stream: true,
    httpStatus: null,
    outcome: 'in_progress',
    phase: null,
    stopReason: null,
    truncated: false,
    error: null,
    errorMessage: null,
    diagnosis: 'Streaming.',
    evidence: { closeSide: 'none', errorCode: null, eventsSeen: 0, lastEvent: null, terminalEventSeen: false, usageSeen: false, bytesToClient: 0 },
    timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null },
    usage: { inputTokens: null, outputTokens: null, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false },
    eventCount: 0,
    badJsonEvents: 0,
    bytesIn: 0,
    bytesOut: 0,
    retryCount: null,
    requestHeaders: {},
    requestBody: { text: '', bytes: 0, truncated: false },
    responseHeaders: {},
    responseText: '',
    responseReasoning: '',
    toolCalls: [],
    responseBody: null,
    events: [],
    eventsTruncated: false,
    ...patch,
  };
}

export function summaryFixture(patch: Partial<RequestSummary> = {}): RequestSummary {
  const {
    requestHeaders: _a,
    requestBody: _b,
    responseHeaders: _c,
    responseBody: _d,
    events: _e,
    responseReasoning: _f,
    toolCalls: _g,
    ...rest
  } = recordFixture();
  return { ...rest, responseTextPreview: '', ...patch };
}

import { describe, expect, it } from 'vitest';
import { emptyEvidence } from '../../src-main/common/record.js';
import { closedBy, errorLines } from '../../src-renderer/lib/evidence.js';
import { errorBrief } from '../../src-renderer/lib/outcome.js';
import { countOf, plural } from '../../src-renderer/lib/words.js';
import { summaryFixture } from './renderer-fixtures.js';

describe('closedBy', () => {
  const ev = (patch: Partial<ReturnType<typeof emptyEvidence>>) => ({ ...emptyEvidence(), ...patch });
  it('says no one answered a refused connection, and names the timeout that ended one', () => {
    expect(closedBy({ outcome: 'upstream_unreachable', phase: 'before_response', evidence: ev({ closeSide: 'upstream', errorCode: 'ECONNREFUSED' }), errorMessage: null })).toBe(
      'no one: the provider never answered (connection refused)',
    );
    expect(closedBy({ outcome: 'upstream_unreachable', phase: 'before_response', evidence: ev({ closeSide: 'proxy' }), errorMessage: null })).toBe('Streamtap (no upstream for this path)');
    expect(closedBy({ outcome: 'timeout', phase: 'before_response', evidence: ev({ closeSide: 'proxy' }), errorMessage: null })).toBe('Streamtap, after the header timeout');
    expect(closedBy({ outcome: 'client_aborted', phase: 'mid_stream', evidence: ev({ closeSide: 'client' }), errorMessage: null })).toBe('the client');
    expect(closedBy({ outcome: 'upstream_disconnected', phase: 'mid_stream', evidence: ev({ closeSide: 'upstream' }), errorMessage: null })).toBe('the provider');
  });
});

describe('errorLines', () => {
  it('drops what the diagnosis already says, and says each line once', () => {
    const error = { type: 'rate_limit_error', code: null, message: 'Rate limit reached', retryAfterS: null };
    expect(errorLines({ diagnosis: 'The provider answered HTTP 429 (rate_limit_error: Rate limit reached).', error, errorMessage: null })).toEqual([]);
    expect(errorLines({ diagnosis: 'Something else.', error, errorMessage: 'Rate  limit reached' })).toEqual(['Rate limit reached']);
    expect(errorLines({ diagnosis: 'x', error: null, errorMessage: 'socket hang up' })).toEqual(['socket hang up']);
  });
});

describe('errorBrief', () => {
  it('gives a failed row its status and the first words of the error, and nothing for a fine one', () => {
    const failed = summaryFixture({ outcome: 'upstream_error', httpStatus: 429, error: { type: 'rate_limit_error', code: null, message: 'Rate limit reached for gpt-4.1 in organization org-abc on requests per min', retryAfterS: 20 } });
    const b = errorBrief(failed, 40)!;
    expect(b.status).toBe(429);
    expect(b.text.startsWith('rate_limit_error: Rate limit reached')).toBe(true);
    expect(b.text.endsWith('…')).toBe(true);
    expect(errorBrief(summaryFixture({ outcome: 'completed' }))).toBeNull();
  });
});

describe('plurals', () => {
  it('counts nouns', () => {
    expect(countOf(1, 'request')).toBe('1 request');
    expect(countOf(1_204, 'request')).toBe('1,204 requests');
    expect(plural(0, 'event')).toBe('events');
  });
});

import { describe, expect, it } from 'vitest';
import { SESSION_ENDINGS } from '../../src-main/common/contract.js';
import { matchesRecordFilter } from '../../src-main/common/record.js';
import { endingInfo } from '../../src-renderer/lib/ending.js';
import { BADGES, badgeFor, isStalled, silentForMs, STALL_MS } from '../../src-renderer/lib/outcome.js';
import { EMPTY_SESSIONS_FILTER, EMPTY_UI_FILTER, isSessionsFilterActive, sessionFilter, toRecordFilter, toSessionFilter } from '../../src-renderer/lib/ui-filter.js';
import { summaryFixture } from './renderer-fixtures.js';

const NOW = 1_700_000_100_000;

describe('toRecordFilter', () => {
  it('resolves a relative time range against now and leaves "all" open', () => {
    expect(toRecordFilter({ ...EMPTY_UI_FILTER, range: '15m' }, NOW)).toEqual({ since: NOW - 15 * 60_000 });
    expect(toRecordFilter(EMPTY_UI_FILTER, NOW)).toEqual({});
  });

  it('maps "truncated" alone to the truncated flag', () => {
    expect(toRecordFilter({ ...EMPTY_UI_FILTER, outcomes: ['truncated'] }, NOW)).toEqual({ truncated: true });
  });

  it('excludes truncated answers when "completed" is chosen without "truncated"', () => {
    expect(toRecordFilter({ ...EMPTY_UI_FILTER, outcomes: ['completed', 'timeout'] }, NOW)).toEqual({ outcome: ['completed', 'timeout'], truncated: false });
  });

  it('keeps both when "completed" and "truncated" are chosen', () => {
    expect(toRecordFilter({ ...EMPTY_UI_FILTER, outcomes: ['completed', 'truncated'] }, NOW)).toEqual({ outcome: ['completed'], truncated: true });
  });

  it('"truncated" + another outcome selects either, exactly (outcome in list OR truncated)', () => {
    const f = toRecordFilter({ ...EMPTY_UI_FILTER, outcomes: ['truncated', 'client_aborted'] }, NOW);
    expect(f).toEqual({ outcome: ['client_aborted'], truncated: true });
    expect(matchesRecordFilter(summaryFixture({ outcome: 'completed', truncated: true }), f)).toBe(true);
    expect(matchesRecordFilter(summaryFixture({ outcome: 'client_aborted', truncated: false }), f)).toBe(true);
    expect(matchesRecordFilter(summaryFixture({ outcome: 'completed', truncated: false }), f)).toBe(false);
  });

  it('passes facets through and trims the search text', () => {
    const f = toRecordFilter({ ...EMPTY_UI_FILTER, models: ['m'], clients: ['c'], upstreams: ['u'], sessions: ['s'], text: '  needle ' }, NOW);
    expect(f).toEqual({ model: ['m'], client: ['c'], upstream: ['u'], session: ['s'], text: 'needle' });
  });
});

describe('outcome badges', () => {
  it('labels a completed answer stopped by length as truncated', () => {
    expect(badgeFor({ outcome: 'completed', truncated: true, httpStatus: 200 })).toMatchObject({ kind: 'truncated', label: 'truncated' });
    expect(badgeFor({ outcome: 'completed', truncated: false, httpStatus: 200 })).toMatchObject({ kind: 'completed', glyph: '✓' });
  });

  it('names an outcome the same whatever its status (the status is shown beside it)', () => {
    expect(badgeFor({ outcome: 'upstream_error', truncated: false, httpStatus: 429 }).label).toBe('upstream error');
    expect(badgeFor({ outcome: 'upstream_error', truncated: false, httpStatus: 200 }).label).toBe('upstream error');
  });

  it('gives every badge a glyph and a label, not only a colour', () => {
    for (const outcome of ['in_progress', 'completed', 'client_aborted', 'upstream_error', 'upstream_disconnected', 'upstream_unreachable', 'timeout', 'interrupted'] as const) {
      const b = badgeFor({ outcome, truncated: false, httpStatus: null });
      expect(b.glyph.length).toBeGreaterThan(0);
      expect(b.label.length).toBeGreaterThan(2);
    }
  });
});

describe('stalled marker', () => {
  const start = NOW - 60_000;
  const live = summaryFixture({ startedAt: start, outcome: 'in_progress', timings: { firstByteMs: 300, ttftMs: 900, lastEventMs: 45_000, durationMs: null } });

  it('measures silence from the last event', () => {
    expect(silentForMs(live, NOW)).toBe(15_000);
    expect(isStalled(live, NOW)).toBe(true);
    expect(isStalled(live, start + 45_000 + STALL_MS - 1)).toBe(false);
  });

  it('falls back to the headers, then to the arrival', () => {
    const headersOnly = { ...live, timings: { firstByteMs: 500, ttftMs: null, lastEventMs: null, durationMs: null } };
    expect(silentForMs(headersOnly, start + 2_500)).toBe(2_000);
    const nothing = { ...live, timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null } };
    expect(silentForMs(nothing, start + 11_000)).toBe(11_000);
  });

  it('never marks a finished request', () => {
    expect(isStalled({ ...live, outcome: 'client_aborted' }, NOW)).toBe(false);
  });
});

describe('sessionFilter', () => {
  const base = { client: 'Aider 0.86.1', startedAt: NOW - 60_000, endedAt: NOW - 1_000 };
  it('filters a session with a header by its id', () => {
    expect(toRecordFilter(sessionFilter({ ...base, sessionId: 'cc-1', inferred: false }, NOW), NOW)).toEqual({ session: ['cc-1'] });
  });

  it('filters an inferred session (no header) by its client and time span, which its id cannot match', () => {
    const ui = sessionFilter({ ...base, sessionId: 'inferred:r1', inferred: true }, NOW);
    expect(toRecordFilter(ui, NOW)).toEqual({ client: ['Aider 0.86.1'], since: NOW - 60_000, until: NOW - 999 });
    expect(matchesRecordFilter(summaryFixture({ client: 'Aider 0.86.1', startedAt: NOW - 30_000 }), toRecordFilter(ui, NOW))).toBe(true);
    expect(matchesRecordFilter(summaryFixture({ client: 'Aider 0.86.1', startedAt: NOW - 120_000 }), toRecordFilter(ui, NOW))).toBe(false);
  });
});

describe('session ending badges', () => {
  it('an ending that is an outcome reads as that outcome’s badge; the session’s own endings have theirs', () => {
    for (const kind of SESSION_ENDINGS) {
      const b = endingInfo(kind);
      expect(b.glyph, kind).not.toBe('');
      expect(b.label, kind).not.toBe('');
      if (kind in BADGES) expect({ glyph: b.glyph, label: b.label, tone: b.tone }, kind).toEqual({ glyph: BADGES[kind as keyof typeof BADGES].glyph, label: BADGES[kind as keyof typeof BADGES].label, tone: BADGES[kind as keyof typeof BADGES].tone });
    }
    expect(['gave_up_after_retries', 'rate_limited', 'context_exhausted'].map((k) => endingInfo(k as (typeof SESSION_ENDINGS)[number]).label)).toEqual(['gave up after retries', 'rate limited', 'context exhausted']);
    // one name per ending: no two share a label or a glyph
    expect(new Set(SESSION_ENDINGS.map((k) => endingInfo(k).label)).size).toBe(SESSION_ENDINGS.length);
    expect(new Set(SESSION_ENDINGS.map((k) => endingInfo(k).glyph)).size).toBe(SESSION_ENDINGS.length);
  });
});

describe('toSessionFilter', () => {
  const now = 1_700_000_000_000;
  it('leaves an empty filter empty, and says when one is active', () => {
    expect(toSessionFilter(EMPTY_SESSIONS_FILTER, now)).toEqual({});
    expect(isSessionsFilterActive(EMPTY_SESSIONS_FILTER)).toBe(false);
    expect(isSessionsFilterActive({ ...EMPTY_SESSIONS_FILTER, text: '   ' })).toBe(false);
    expect(isSessionsFilterActive({ ...EMPTY_SESSIONS_FILTER, endings: ['rate_limited'] })).toBe(true);
  });
});


// One filter rule, two implementations that must agree: the pure predicate the live view
// runs on each record change (common/record.ts, matchesRecordFilter) and its SQL
// compilation the store runs (core/db/filter-sql.ts). Every case goes through both
// over the same records.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesRecordFilter, summarize, type RecordFilter, type RequestRecord } from '../../src-main/common/record.js';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { makeRecord } from '../fixtures/store-records.js';

const T = 1_700_000_000_000;

const body = (text: string) => ({ text, bytes: Buffer.byteLength(text), truncated: false });
/** A conversation whose last user message is `prompt`. */
const said = (prompt: string) => ({ messages: 1, tailHash: 'tail', prompt, firstPrompt: prompt });

/** A spread of records over every field a filter looks at, nulls and edges included. */
const RECORDS: RequestRecord[] = [
  makeRecord({ id: 'r01', startedAt: T, outcome: 'completed', truncated: false, model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's1', requestBody: body('{"input":"Fix the Parser"}'), conversation: said('Fix the Parser'), responseText: 'Done.' }),
  makeRecord({ id: 'r02', startedAt: T + 1, outcome: 'completed', truncated: true, model: 'claude-sonnet-4-6', client: 'Claude Code', upstream: 'anthropic', sessionId: 's2', responseText: 'cut at max_tokens' }),
  makeRecord({ id: 'r03', startedAt: T + 2, outcome: 'client_aborted', model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's1', requestBody: body('{"input":"100% sure_thing"}'), conversation: said('100% sure_thing') }),
  // The text is in its body, but not in its prompt: a body repeats every earlier turn, so it is not searched.
  makeRecord({ id: 'r04', startedAt: T + 3, outcome: 'upstream_error', model: null, client: null, upstream: 'openai', sessionId: null, requestBody: body('{"input":["fix the parser","zebra"]}'), conversation: said('zebra') }),
  makeRecord({ id: 'r05', startedAt: T + 4, outcome: 'timeout', model: 'claude-haiku-4-5', client: 'opencode', upstream: 'anthropic', sessionId: 's3', responseText: 'ÉCOLE straße' }),
  makeRecord({ id: 'r06', startedAt: T + 5, outcome: 'interrupted', model: 'gpt-5', client: 'Codex', upstream: 'local', sessionId: 's1' }),
  makeRecord({ id: 'r07', startedAt: T + 6, outcome: 'upstream_disconnected', truncated: false, model: 'gpt-4.1', client: 'Aider', upstream: 'openai', sessionId: null, responseText: 'partial PARSER answer' }),
  makeRecord({ id: 'r08', startedAt: T + 7, outcome: 'in_progress', model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's4' }),
  makeRecord({ id: 'r09', startedAt: T + 8, outcome: 'upstream_unreachable', model: 'gpt-5', client: null, upstream: 'openai', sessionId: null }),
];

const CASES: [string, RecordFilter][] = [
  ['no filter', {}],
  ['empty lists and text', { outcome: [], model: [], client: [], upstream: [], session: [], text: '' }],
  ['since, inclusive', { since: T + 2 }],
  ['until, exclusive', { until: T + 2 }],
  ['a window', { since: T + 1, until: T + 5 }],
  ['one outcome', { outcome: ['completed'] }],
  ['outcomes', { outcome: ['client_aborted', 'timeout', 'interrupted'] }],
  ['truncated alone', { truncated: true }],
  ['not truncated', { truncated: false }],
  ['completed without truncated', { outcome: ['completed'], truncated: false }],
  ['truncated or an outcome', { outcome: ['client_aborted'], truncated: true }],
  ['models (null never matches)', { model: ['gpt-5', 'claude-haiku-4-5'] }],
  ['clients', { client: ['Codex'] }],
  ['upstreams', { upstream: ['anthropic', 'local'] }],
  ['sessions', { session: ['s1', 's3'] }],
  ['text in a prompt or an answer', { text: 'parser' }],
  ['text, ASCII case-insensitive', { text: 'PARSER' }],
  ['text with LIKE wildcards taken literally', { text: '100%' }],
  ['text with an underscore', { text: 'sure_thing' }],
  ['text: non-ASCII compares exactly', { text: 'école' }],
  ['text: non-ASCII, same case', { text: 'ÉCOLE' }],
  ['text in a prompt only', { text: 'zebr' }],
  ['text that matches nothing', { text: 'giraffe' }],
  ['everything at once', { since: T, until: T + 9, outcome: ['completed', 'client_aborted'], model: ['gpt-5'], client: ['Codex'], upstream: ['openai'], session: ['s1'], text: 'parser' }],
];

let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-filter-'));
  store = openStore({ path: join(dir, 'streamtap.db'), flushIntervalMs: 60_000 });
  for (const r of RECORDS) store.insert(r);
  expect(store.flush()).toBe(true);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});


describe('the record filter', () => {
  it.each(CASES)('%s: the store and the predicate pick the same records', (_name, filter) => {
    const byStore = store
      .list(filter, { limit: 100 })
      .map((r) => r.id)
      .sort();
    const byPredicate = RECORDS.filter((r) => matchesRecordFilter(r, filter) === true)
      .map((r) => r.id)
      .sort();
    expect(byPredicate).toEqual(byStore);
    expect(store.count(filter)).toBe(byStore.length);
  });

  it('cases are not vacuous: each picks some records and leaves others, but the open and the empty ones', () => {
    const open = new Set(['no filter', 'empty lists and text']);
    const empty = new Set(['text that matches nothing', 'text: non-ASCII compares exactly']);
    for (const [name, f] of CASES) {
      const n = RECORDS.filter((r) => matchesRecordFilter(r, f) === true).length;
      if (open.has(name)) expect(n, name).toBe(RECORDS.length);
      else if (empty.has(name)) expect(n, name).toBe(0);
      else {
        expect(n, name).toBeGreaterThan(0);
        expect(n, name).toBeLessThan(RECORDS.length);
      }
    }
  });

  it('answers "unknown" for a text search on a summary (no full answer) its prompt does not match, unless another field already excludes it', () => {
    const r = summarize(RECORDS[6]!);
    expect(matchesRecordFilter(r, { text: 'parser' })).toBe('unknown');
    expect(matchesRecordFilter(r, { text: 'parser', model: ['other'] })).toBe(false);
    expect(matchesRecordFilter(summarize(RECORDS[0]!), { text: 'parser' })).toBe(true);
  });
});

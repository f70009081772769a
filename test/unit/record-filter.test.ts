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

const prompt = (text: string) => ({ messages: 2, tailHash: 'h', prompt: text, firstPrompt: text });
const error = (message: string) => ({ type: 'rate_limit_error', code: null, message, retryAfterS: null });

/** A spread of records over every field a filter looks at, nulls and edges included. */
const RECORDS: RequestRecord[] = [
  makeRecord({ id: 'r01', startedAt: T, outcome: 'completed', truncated: false, model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's1', conversation: prompt('Fix the Parser'), responseText: 'Done.' }),
  makeRecord({ id: 'r02', startedAt: T + 1, outcome: 'completed', truncated: true, model: 'claude-sonnet-4-6', client: 'Claude Code', upstream: 'anthropic', sessionId: 's2', responseText: 'cut at max_tokens' }),
  makeRecord({ id: 'r03', startedAt: T + 2, outcome: 'client_aborted', model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's1', conversation: prompt('100% sure_thing'), requestBody: { text: '{"zebra":1}', bytes: 11, truncated: false } }),
  makeRecord({ id: 'r04', startedAt: T + 3, outcome: 'upstream_error', model: null, client: null, upstream: 'openai', sessionId: null, responseText: 'ответ: the parser’s bug' }),
  makeRecord({ id: 'r05', startedAt: T + 4, outcome: 'timeout', model: 'claude-haiku-4-5', client: 'opencode', upstream: 'anthropic', sessionId: 's3', responseText: 'ÉCOLE straße' }),
  makeRecord({ id: 'r06', startedAt: T + 5, outcome: 'interrupted', model: 'gpt-5', client: 'Codex', upstream: 'local', sessionId: 's1', toolCalls: [{ id: 't1', name: 'read_file', arguments: '{"path":"src/parser.ts"}' }] }),
  makeRecord({ id: 'r07', startedAt: T + 6, outcome: 'upstream_disconnected', truncated: false, model: 'gpt-4.1', responseModel: 'gpt-4.1-2025-04-14', client: 'Aider', upstream: 'openai', sessionId: null, responseText: 'partial PARSER answer', responseReasoning: 'think twice' }),
  makeRecord({ id: 'r08', startedAt: T + 7, outcome: 'in_progress', model: 'gpt-5', client: 'Codex', upstream: 'openai', sessionId: 's4', conversation: prompt('parser in flight'), responseText: 'streaming words' }),
  makeRecord({ id: 'r09', startedAt: T + 8, outcome: 'upstream_unreachable', model: 'gpt-5', client: null, upstream: 'openai', sessionId: null, error: error('Quota exceeded'), errorMessage: 'connect ECONNREFUSED' }),
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
  ['text: a word of a prompt, answer or tool call, case-insensitive', { text: 'PARSER' }],
  ['text: the last word is a prefix', { text: 'fix pars' }],
  ['text: the other words are whole', { text: 'pars fix' }],
  ['text: punctuation separates words', { text: '100%' }],
  ['text: an underscore separates words', { text: 'sure_thing' }],
  ['text: tool call names and arguments', { text: 'read_file' }],
  ['text: reasoning', { text: 'twice' }],
  ['text: provider and proxy error messages', { text: 'quota' }],
  ['text: Streamtap error message', { text: 'econnrefused' }],
  ['text: requested and reported models', { text: 'sonnet' }],
  ['text: reported model', { text: '2025' }],
  ['text: Latin letters fold case', { text: 'école' }],
  ['text: ß is not ss', { text: 'strasse' }],
  ['text: an in-progress answer is not searched yet', { text: 'streaming' }],
  ['text: request bodies are not searched', { text: 'zebra' }],
  ['hostile text: a lone quote is no word', { text: '"' }],
  ['hostile text: a star is no word', { text: '*' }],
  ['hostile text: NEAR( is a plain word', { text: 'NEAR(parser' }],
  ['hostile text: OR is a plain word', { text: 'parser OR fix' }],
  ['hostile text: a leading minus is punctuation', { text: '-parser' }],
  ['hostile text: a quote inside', { text: 'fix"the' }],
  ['hostile text: column filter syntax', { text: 'prompt:fix' }],
  ['hostile text: caret and braces', { text: '^{fix}' }],
  ['everything at once', { since: T, until: T + 9, outcome: ['completed', 'client_aborted'], model: ['gpt-5'], client: ['Codex'], upstream: ['openai'], session: ['s1'], text: 'fix' }],
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

/** The store's answer per record, and the predicate's on the full record and on its summary. */
function judge(filter: RecordFilter) {
  const byStore = new Set(store.list(filter, { limit: 100 }).map((r) => r.id));
  return RECORDS.map((r) => ({ id: r.id, store: byStore.has(r.id), full: matchesRecordFilter(r, filter), summary: matchesRecordFilter(summarize(r), filter) }));
}

describe('the record filter', () => {
  it.each(CASES)('%s: the store and the predicate pick the same records', (_name, filter) => {
    const judged = judge(filter);
    // 'unknown' only where a word of the record is beyond the Latin range the predicate mirrors (r04)
    for (const j of judged) {
      if (j.full === 'unknown') expect(j.id).toBe('r04');
      else expect(j.full, j.id).toBe(j.store);
      // a summary lacks the answer: it may not know, but is never wrong
      if (j.summary !== 'unknown') expect(j.summary, j.id).toBe(j.store);
    }
    expect(store.count(filter)).toBe(judged.filter((j) => j.store).length);
  });

  it('cases are not vacuous: each picks some records and leaves others, but the open and the empty ones', () => {
    const open = new Set(['no filter', 'empty lists and text', 'hostile text: a lone quote is no word', 'hostile text: a star is no word']);
    const empty = new Set([
      'text: the other words are whole',
      'text: ß is not ss',
      'text: an in-progress answer is not searched yet',
      'text: request bodies are not searched',
      'hostile text: NEAR( is a plain word',
      'hostile text: OR is a plain word',
      'hostile text: column filter syntax',
    ]);
    for (const [name, f] of CASES) {
      const n = judge(f).filter((j) => j.store).length;
      if (open.has(name)) expect(n, name).toBe(RECORDS.length);
      else if (empty.has(name)) expect(n, name).toBe(0);
      else {
        expect(n, name).toBeGreaterThan(0);
        expect(n, name).toBeLessThan(RECORDS.length);
      }
    }
  });

  it('decides a text search on a summary by its prompt and models, and answers "unknown" where the answer would decide', () => {
    const r = RECORDS[0]!;
    expect(matchesRecordFilter(summarize(r), { text: 'parser' })).toBe(true);
    expect(matchesRecordFilter(summarize(r), { text: 'done' })).toBe('unknown');
    expect(matchesRecordFilter(summarize(r), { text: 'done', model: ['other'] })).toBe(false);
    // an in-progress record is searched by prompt and models only: its summary has both
    expect(matchesRecordFilter(summarize(RECORDS[7]!), { text: 'streaming' })).toBe(false);
  });

  it('leaves a search beyond the Latin range to the store, which finds it', () => {
    expect(matchesRecordFilter(RECORDS[3]!, { text: 'ответ' })).toBe('unknown');
    expect(store.list({ text: 'ответ' }, { limit: 100 }).map((r) => r.id)).toEqual(['r04']);
  });
});

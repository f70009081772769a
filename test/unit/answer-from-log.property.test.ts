// A finished stream whose event log holds its whole answer stores the log alone
// (answer_in_log, migration 0006), and readers rebuild the answer from it
// (recorder/answer-from-log.ts). Every fixture transcript, however the network cut it,
// whatever the caps, checkpoints, flushes and ending, must read back from the store,
// and from the file after reopening it, with exactly the answer the recorder settled on;
// and search must find it by its words, though its row holds none of them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiKind, RequestRecord } from '../../src-main/common/record.js';
import { searchWords } from '../../src-main/common/text-search.js';
import type { Limits } from '../../src-main/common/settings.js';
import { DEFAULT_LIMITS } from '../../src-main/core/config.js';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import type { Ending } from '../../src-main/core/recorder/classify.js';
import { Recording, type RecordPatch } from '../../src-main/core/recorder/recording.js';
import type { TokenEstimator } from '../../src-main/core/recorder/token-estimator.js';
import { recordingInit } from '../fixtures/records.js';
import { split, TRANSCRIPTS as SSE_TRANSCRIPTS } from '../fixtures/sse-transcripts.js';

const APIS: readonly ApiKind[] = ['chat.completions', 'responses', 'messages', 'other'];
const apiOf = (file: string): ApiKind | null =>
  file.includes('chat') ? 'chat.completions' : file.includes('responses') ? 'responses' : file.includes('messages') ? 'messages' : null;
const TRANSCRIPTS = SSE_TRANSCRIPTS.map((t) => ({ ...t, api: apiOf(t.file) }));
const fixedEstimate = { count: () => Promise.resolve(7), started: false, running: false } as unknown as TokenEstimator;

let dir: string;
let file: string;
let store: Store;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-answer-log-'));
  file = join(dir, 'streamtap.db');
  store = openStore({ path: file, flushIntervalMs: 60_000 });
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  api: ApiKind;
  status: number;
  chunks: Uint8Array[];
  checkpoints: Set<number>;
  flushes: Set<number>;
  limits: Limits;
  ending: Ending;
}

type Answer = Pick<RequestRecord, 'responseText' | 'responseReasoning' | 'toolCalls'>;
const answerOf = (r: Answer): Answer => ({ responseText: r.responseText, responseReasoning: r.responseReasoning, toolCalls: r.toolCalls });

/** Records `run` into the store; the answer the recorder settled on, and whether it said the log holds it. */
async function record(run: Run, afterEnd?: (rec: Recording) => void): Promise<{ id: string; final: Answer; inLog: boolean }> {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const id = `r${++n}`;
  let last: RecordPatch = {};
  const rec = new Recording(
    {
      insert: (r) => store.insert(r),
      update: (i, p) => {
        last = p;
        store.update(i, p);
      },
    },
    run.limits,
    { wanted: () => false, emit: () => undefined },
    recordingInit({ id, startedAt: n, api: run.api }),
    fixedEstimate,
  );
  rec.start();
  rec.responseStarted(run.status, {}, 'text/event-stream', '');
  for (let i = 0; i < run.chunks.length; i++) {
    now += 5;
    rec.chunkForwarded(Buffer.from(run.chunks[i]!));
    if (run.checkpoints.has(i)) rec.checkpoint();
    if (run.flushes.has(i)) store.flush();
  }
  now += 1;
  await rec.finish(run.ending);
  const final = last as Answer & { answerInLog?: boolean };
  afterEnd?.(rec);
  vi.restoreAllMocks();
  return { id, final: answerOf(final), inLog: final.answerInLog === true };
}

/** The bodies row as stored: whether it holds the answer. */
function storedRow(id: string): { answer_in_log: number; response_text: string; response_reasoning: string; tool_calls: string } {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select answer_in_log, response_text, response_reasoning, tool_calls from request_bodies where id = ?').get(id) as never;
  } finally {
    db.close();
  }
}

async function check(run: Run): Promise<boolean> {
  const { id, final, inLog } = await record(run);
  // queued, then written: the same answer either way
  expect(answerOf(store.get(id)!)).toEqual(final);
  store.flush();
  expect(answerOf(store.get(id)!)).toEqual(final);
  const row = storedRow(id);
  expect(row.answer_in_log).toBe(inLog ? 1 : 0);
  if (inLog) expect([row.response_text, row.response_reasoning, row.tool_calls]).toEqual(['', '', '[]']);
  else expect(row.response_text).toBe(final.responseText);
  // Found by a word of its answer (the live filter's rule: words at least 3 letters long
  // keep the query simple), though the row holds none.
  const word = searchWords(final.responseText).find((w) => /^[a-z]{3,}$/.test(w));
  if (word) expect(store.list({ text: word }, { limit: 10_000 }).map((r) => r.id)).toContain(id);
  return inLog;
}

const runs = fc
  .record({
    pick: fc.nat(TRANSCRIPTS.length - 1),
    otherApi: fc.constantFrom(...APIS),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    checkpoints: fc.array(fc.nat(40), { maxLength: 10 }),
    flushes: fc.array(fc.nat(40), { maxLength: 4 }),
    eventCount: fc.option(fc.integer({ min: 1, max: 40 })),
    textChars: fc.option(fc.integer({ min: 1, max: 400 })),
    status: fc.constantFrom(200, 200, 200, 529),
    ending: fc.constantFrom<Ending>({ kind: 'upstream_end' }, { kind: 'client_closed' }, { kind: 'upstream_failed', code: 'ECONNRESET', message: 'socket hang up' }),
  })
  .map((s): Run => {
    const t = TRANSCRIPTS[s.pick]!;
    return {
      api: t.api ?? s.otherApi,
      status: s.status,
      chunks: split(t.bytes, s.cuts),
      checkpoints: new Set(s.checkpoints),
      flushes: new Set(s.flushes),
      limits: { ...DEFAULT_LIMITS, eventCount: s.eventCount ?? DEFAULT_LIMITS.eventCount, textChars: s.textChars ?? DEFAULT_LIMITS.textChars },
      ending: s.ending,
    };
  });

describe('an answer kept only in the event log', () => {
  it.each(TRANSCRIPTS.map((t) => [t.file, t] as const))('reads back from %s exactly as recorded', async (_file, t) => {
    for (const api of t.api ? [t.api] : APIS) {
      const base: Run = { api, status: 200, chunks: [t.bytes], checkpoints: new Set(), flushes: new Set(), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } };
      // whole, nothing capped: the log holds the answer
      expect(await check(base)).toBe(true);
      // the text cap cut the answer: it is stored, not rebuilt
      const capped = { ...base, limits: { ...DEFAULT_LIMITS, textChars: 3 } };
      const { final } = await record(capped);
      const cut = final.responseText.length + final.responseReasoning.length > 0;
      expect(await check(capped)).toBe(!cut);
      // an error status assembles nothing, and is never rebuilt
      expect(await check({ ...base, status: 529 })).toBe(false);
    }
  });

  it('reads back exactly as recorded under any split, caps, checkpoints, flushes and ending', async () => {
    await fc.assert(fc.asyncProperty(runs, async (run) => void (await check(run))), { numRuns: 200 });
  });

  it('stays rebuilt and searchable when the request body is read after the end', async () => {
    const t = TRANSCRIPTS.find((x) => x.file.includes('chat-tool-calls'))!;
    const body = '{"model":"walrusmodel","stream":true,"messages":[{"role":"user","content":"hello"}]}';
    const late = (rec: Recording) =>
      rec.setRequestBody({ body: { text: body, bytes: body.length, truncated: false }, bytes: Buffer.from(body), model: 'walrusmodel', stream: true }, body.length);
    const run: Run = { api: 'chat.completions', status: 200, chunks: [t.bytes], checkpoints: new Set(), flushes: new Set(), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } };
    for (const flushFirst of [false, true]) {
      const { id, final, inLog } = await record(run, (rec) => {
        // the final patch already written, or still queued beside the late body
        if (flushFirst) store.flush();
        late(rec);
      });
      expect(inLog).toBe(true);
      store.flush();
      expect(storedRow(id).answer_in_log).toBe(1);
      expect(answerOf(store.get(id)!)).toEqual(final);
      expect(store.get(id)!.model).toBe('walrusmodel');
      const word = searchWords(final.responseText + ' ' + final.toolCalls.map((c) => c.name).join(' ')).find((w) => /^[a-z]{3,}$/.test(w))!;
      expect(store.list({ text: word }, { limit: 10_000 }).map((r) => r.id)).toContain(id);
      expect(store.list({ text: 'walrusmodel' }, { limit: 10_000 }).map((r) => r.id)).toContain(id);
    }
  });

  it('reads back the same from the file after it is reopened', async () => {
    const t = TRANSCRIPTS.find((x) => x.file.includes('thinking-tool-use'))!;
    const { id, final, inLog } = await record({ api: 'messages', status: 200, chunks: split(t.bytes, [7, 900, 2_000]), checkpoints: new Set([1]), flushes: new Set([1]), limits: DEFAULT_LIMITS, ending: { kind: 'upstream_end' } });
    expect(inLog).toBe(true);
    expect(final.toolCalls.length).toBeGreaterThan(0);
    store.close();
    store = openStore({ path: file, flushIntervalMs: 60_000 });
    expect(answerOf(store.get(id)!)).toEqual(final);
  });
});

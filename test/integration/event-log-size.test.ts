// What a streamed record costs in rows now that its event log is stored once,
// compressed (issue #8 item 4a): the bench's throughput stream (200 chunks of 32 B of
// text, OpenAI chat) and the same answer from Anthropic's messages API, recorded into a
// file store (compression on its writer thread) and measured with SQLite's dbstat.
// Prints the numbers and holds the target: at most 8 KB of rows a 200-chunk stream,
// its search entry included. The answer is not stored beside the log that holds it
// (answer_in_log, migration 0006), and the index keeps which records hold a word,
// not where (detail=none).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { throughputStream } from '../../bench/workloads.js';
import { DEFAULT_LIMITS } from '../../src-main/core/config.js';
import { openStore, type Store } from '../../src-main/core/db/store.js';
import { Recording } from '../../src-main/core/recorder/recording.js';
import type { ApiKind } from '../../src-main/common/record.js';
import { scenarioHeader, startFakeUpstream } from '../fixtures/fake-upstream.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const RECORDS = 5;

function record(store: Store, id: string, api: ApiKind, events: string[]): Promise<void> {
  const rec = new Recording(store, DEFAULT_LIMITS, { wanted: () => false, emit: () => {} }, {
    id,
    startedAt: Date.now(),
    t0: performance.now(),
    client: 'OpenAI/JS 6.3.0',
    clientVersion: '6.3.0',
    userAgent: 'OpenAI/JS 6.3.0',
    sessionId: null,
    credentialFingerprint: 'fp',
    upstream: 'openai',
    upstreamUrl: 'http://127.0.0.1:1/v1/chat/completions',
    api,
    method: 'POST',
    path: api === 'messages' ? '/v1/messages' : '/v1/chat/completions',
    retryCount: null,
    requestHeaders: { 'content-type': 'application/json' },
  });
  rec.start();
  rec.responseStarted(200, { 'content-type': 'text/event-stream' }, 'text/event-stream', '');
  for (const e of events) rec.chunkForwarded(Buffer.from(e));
  return rec.finish({ kind: 'upstream_end' });
}

function payload(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const r of db.prepare('select name, payload from dbstat where aggregate = true').all() as { name: string; payload: number }[]) out[r.name] = r.payload;
    const cols = db
      .prepare(
        `select avg(length(cast(event_log as blob))) as eventLog, avg(length(cast(event_times as blob))) as eventTimes,
                avg(length(cast(response_text as blob))) as responseText from request_bodies`,
      )
      .get() as Record<string, number>;
    return { ...out, ...cols };
  } finally {
    db.close();
  }
}

async function anthropicEvents(text: string): Promise<string[]> {
  const fake = await startFakeUpstream();
  try {
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...scenarioHeader({ chunks: 200, text }) },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.text();
    return body.split(/(?<=\n\n)/);
  } finally {
    await fake.close();
  }
}

describe('rows of a 200-chunk stream', () => {
  it('hold the event log compressed and the answer once: under 8 KB for ~60 KB of SSE', async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamtap-event-log-size-'));
    const chat = throughputStream();
    const chatEvents = [chat.opening, ...chat.deltas, chat.closing];
    const text = chat.deltas.map((d) => (JSON.parse(d.slice(6)) as { choices: { delta: { content: string } }[] }).choices[0]!.delta.content).join('');
    const streams: [string, ApiKind, string[]][] = [
      ['openai-chat', 'chat.completions', chatEvents],
      ['anthropic', 'messages', await anthropicEvents(text)],
    ];
    for (const [name, api, events] of streams) {
      const file = join(dir, `${name}.db`);
      const store = openStore({ path: file });
      const before = payload(file);
      for (let i = 0; i < RECORDS; i++) await record(store, `${name}-${i}`, api, events);
      store.close();
      const after = payload(file);
      const grown = (keep: (k: string) => boolean) =>
        Object.keys(after)
          .filter((k) => !['eventLog', 'eventTimes', 'responseText'].includes(k) && keep(k))
          .reduce((n, k) => n + ((after[k] ?? 0) - (before[k] ?? 0)), 0) / RECORDS;
      // The search index (FTS5, request_search*) is counted apart: it holds the answer's
      // words, whatever the record's own rows store.
      const isSearch = (k: string) => k.startsWith('request_search');
      const rows = grown((k) => !isSearch(k));
      const search = grown(isSearch);
      const sse = Buffer.byteLength(events.join(''));
      const eventCount = events.join('').split('\n\n').length - 1;
      console.log(
        `${name}: ${events.length} chunks, ${eventCount} events, ${sse} B of SSE → ${Math.round(rows)} B of rows a record ` +
          `(event_log ${after.eventLog} B, event_times ${after.eventTimes} B, response_text ${after.responseText} B; ` +
          `without response_text ${Math.round(rows - after.responseText!)} B); the search index ${Math.round(search)} B more`,
      );
      expect(after.eventLog!).toBeLessThan(5_000);
      expect(after.eventTimes!).toBeLessThan(4 * eventCount);
      expect(after.responseText).toBe(0);
      expect(rows + search).toBeLessThan(8_000);
      const check = openStore({ path: file, readOnly: true });
      try {
        expect(check.get(`${name}-0`)!.events).toHaveLength(eventCount);
        expect(check.get(`${name}-0`)!.responseText).toBe(text);
      } finally {
        check.close();
      }
    }
  }, 60_000);
});

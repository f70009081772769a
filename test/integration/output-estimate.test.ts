// Output tokens of answers without usage are counted on the tokenizer's worker, started
// on first need: the record (and the live view) still end with the count, marked
// estimated; a failing worker leaves the record without one; shutdown waits for a
// count on its way.

import { afterEach, describe, expect, it } from 'vitest';
import type { RecordChange } from '../../src-main/core/recorder/recording.js';
import { createTokenEstimator, type TokenEstimator } from '../../src-main/core/recorder/token-estimator.js';
import { estimateTokens, isTokenizerLoaded } from '../../src-main/core/recorder/tokens.js';
import { openStore } from '../../src-main/core/db/store.js';
import { startHarness, type Harness } from './harness.js';
import { scenarioHeader, type Scenario } from '../fixtures/fake-upstream.js';

let h: Harness | null = null;
let estimator: TokenEstimator | null = null;
afterEach(async () => {
  await h?.close();
  await estimator?.close();
  h = null;
  estimator = null;
});

/** One streamed chat request as a tool in session `session` sends it, read to its end. */
async function rawChat(hh: Harness, scenario: Scenario, session: string): Promise<void> {
  const res = await fetch(`${hh.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-session-id': session, ...scenarioHeader(scenario) },
    body: JSON.stringify({ model: 'gpt-5-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello' }] }),
  });
  await res.text();
}

/** An estimator whose every count waits until the test answers it. */
function heldEstimator() {
  let asked: () => void = () => undefined;
  const askedP = new Promise<void>((r) => (asked = r));
  const answers: ((n: number) => void)[] = [];
  const estimator: TokenEstimator = {
    started: true,
    running: true,
    count: () => {
      asked();
      return new Promise<number>((r) => answers.push(r));
    },
    close: async () => undefined,
  };
  return { estimator, asked: askedP, answer: (n: number) => answers.shift()?.(n) };
}

async function chat(hh: Harness, scenario: Scenario): Promise<string> {
  const s = await hh.openai(scenario).chat.completions.create({
    model: 'gpt-5-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

function finishedChanges(hh: Harness): RecordChange[] {
  const seen: RecordChange[] = [];
  hh.engine.onChange((c) => {
    if (c.kind === 'finished') seen.push(c);
  });
  return seen;
}

describe('output token estimates on the worker', () => {
  it('start the worker only for an answer without usage, and record its count marked estimated', async () => {
    estimator = createTokenEstimator();
    h = await startHarness({}, {}, { estimator });
    const finished = finishedChanges(h);

    await chat(h, { chunks: 6 });
    const [withUsage] = await h.waitForFinished(1);
    expect(withUsage!.usage.estimated).toBe(false);
    expect(estimator.started).toBe(false);

    const text = await chat(h, { chunks: 12, noUsage: true });
    const [, rec] = await h.waitForFinished(2);
    expect(estimator.started).toBe(true);
    expect(rec!.outcome).toBe('completed');
    expect(rec!.responseText).toBe(text);
    expect(rec!.usage.estimated).toBe(true);
    // Nothing on this thread loaded the encoder: the count came from the worker.
    expect(isTokenizerLoaded()).toBe(false);
    expect(rec!.usage.outputTokens).toBe(estimateTokens(text));
    // The live view's last word on the record carries the same count.
    const last = finished[1]!;
    expect(last.kind === 'finished' && last.summary.usage).toMatchObject({ outputTokens: rec!.usage.outputTokens, estimated: true });
  });

  it('record no estimate when the worker cannot start, and say why once', async () => {
    const lines: string[] = [];
    estimator = createTokenEstimator({ modulePath: '/nonexistent/o200k_base.js', log: (m) => lines.push(m) });
    h = await startHarness({}, {}, { estimator });
    await chat(h, { chunks: 4, noUsage: true });
    await chat(h, { chunks: 4, noUsage: true });
    const recs = await h.waitForFinished(2);
    for (const rec of recs) {
      expect(rec.outcome).toBe('completed');
      expect(rec.responseText.length).toBeGreaterThan(0);
      expect(rec.usage).toMatchObject({ outputTokens: null, estimated: false });
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/tokenizer worker did not start/);
  });

  it('never make the end time or the session linking wait for the count', async () => {
    const held = heldEstimator();
    h = await startHarness({}, {}, { estimator: held.estimator });
    await rawChat(h, { chunks: 4, noUsage: true }, 'sess-held');
    await held.asked;
    // While the first answer's count is held, the same conversation is sent again: the
    // first one completed, so this is a new turn, not a retry of a request in flight.
    await rawChat(h, { chunks: 4 }, 'sess-held');
    const [second] = await h.waitForFinished(1);
    const answeredAt = Date.now();
    held.answer(7);
    const [first] = (await h.waitForFinished(2)).filter((r) => r.id !== second!.id);
    expect(first!.usage).toMatchObject({ outputTokens: 7, estimated: true });
    expect(first!.diagnosis).toMatch(/completed normally/);
    expect(second!.turnId).toBe(second!.id);
    expect(second!.attempt).toBe(1);
    // the first ended when its stream did, before its count was answered
    expect(first!.endedAt!).toBeLessThan(second!.startedAt + 1);
    expect(first!.endedAt!).toBeLessThan(answeredAt);
  });

  it('let shutdown wait for a count on its way, so the record is written with it', async () => {
    let asked: () => void = () => undefined;
    const askedP = new Promise<void>((r) => (asked = r));
    let answer: (n: number) => void = () => undefined;
    const held: TokenEstimator = {
      started: true,
      running: true,
      count: () => {
        asked();
        return new Promise<number>((r) => (answer = r));
      },
      close: async () => undefined,
    };
    h = await startHarness({}, {}, { estimator: held });
    await chat(h, { chunks: 4, noUsage: true });
    await askedP;
    // Reads show what is committed: wait for the row's first write.
    await h.engine.store.written();
    const id = h.engine.store.list({}, { limit: 1 })[0]!.id;
    // The answer arrives while stop() is under way, after the proxy and its sockets are
    // closed: without waiting for it, the store would be closed first (a few turns of
    // the event loop in) and the record left in progress.
    const stopping = h.core.stop();
    let storeClosedFirst = false;
    const close = h.engine.store.close.bind(h.engine.store);
    h.engine.store.close = (o) => {
      storeClosedFirst ||= !answered;
      close(o);
    };
    let answered = false;
    for (let turn = 0; turn < 50; turn++) await new Promise<void>((r) => setImmediate(r));
    answered = true;
    answer(42);
    await stopping;
    expect(storeClosedFirst).toBe(false);
    const store = openStore({ path: h.dbPath, readOnly: true });
    try {
      expect(store.get(id)!.outcome).toBe('completed');
      expect(store.get(id)!.usage).toMatchObject({ outputTokens: 42, estimated: true });
    } finally {
      store.close();
    }
  });
});

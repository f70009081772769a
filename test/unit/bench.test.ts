// The benchmark's own pieces: what it sends (the workloads, the growing agent session,
// the records of the scale database) and how it reads its figures (/proc, quantiles,
// targets). `npm test` also runs `npm run bench -- --quick` end to end.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from '../../bench/nginx.js';
import { cpuMs, mainThreadCpuMs, parseStatCpuMs, parseStatPpid } from '../../bench/procs.js';
import { printTraffic, target, trafficReport } from '../../bench/report.js';
import { QUICK_PLAN, lateTurnRowBytes, type TrafficRaw } from '../../bench/traffic.js';
import { RARE_EVERY, RARE_WORD, scaleRecord } from '../../bench/scale.js';
import { median, quantile, spread } from '../../bench/stats.js';
import {
  AgentSession,
  LATENCY_CHUNKS,
  SESSION_FINAL_BYTES,
  SESSION_TURNS,
  THROUGHPUT_CHUNKS,
  THROUGHPUT_CHUNK_BYTES,
  latencyStream,
  nonStreamBody,
  sessionAnswer,
  sessionStream,
  throughputStream,
} from '../../bench/workloads.js';
import { openStore } from '../../src-main/core/db/store.js';

/** data: payloads of an SSE text, parsed as JSON where they are JSON */
function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => block.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

type ChatChunk = { choices: { delta: { content?: string } }[] };

describe('bench workloads', () => {
  it('the throughput stream has 200 chunks of exactly 32 bytes of text, then finish, usage and [DONE]', () => {
    const s = throughputStream();
    expect(s.deltas).toHaveLength(THROUGHPUT_CHUNKS);
    for (const d of s.deltas) {
      const [chunk] = sseData(d) as ChatChunk[];
      expect(Buffer.byteLength(chunk!.choices[0]!.delta.content!)).toBe(THROUGHPUT_CHUNK_BYTES);
    }
    expect(sseData(s.closing).at(-1)).toBe('[DONE]');
  });

  it('the latency stream has 20 one-word chunks, the opening role chunk carrying no text', () => {
    const s = latencyStream();
    expect(s.deltas).toHaveLength(LATENCY_CHUNKS);
    expect((sseData(s.opening)[0] as ChatChunk).choices[0]!.delta.content).toBe('');
    for (const d of s.deltas) expect((sseData(d)[0] as ChatChunk).choices[0]!.delta.content!.trim()).toMatch(/^[\w.]+$/);
  });

  it('the non-stream answer is a chat.completion of 20 words', () => {
    const body = JSON.parse(nonStreamBody()) as { object: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content.split(' ')).toHaveLength(20);
  });

  it('the agent session re-sends the whole conversation each turn and grows to 200 KB on its last', () => {
    const session = new AgentSession();
    const bodies: string[] = [];
    while (!session.done) bodies.push(session.next());
    expect(bodies).toHaveLength(SESSION_TURNS);
    const sizes = bodies.map((b) => Buffer.byteLength(b));
    expect(sizes.at(-1)! / SESSION_FINAL_BYTES).toBeCloseTo(1, 2);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThan(sizes[i - 1]!);
    type Body = { system: unknown; tools: unknown; messages: { role: string; content: { type: string; id?: string; tool_use_id?: string }[] }[] };
    const parsed = bodies.map((b) => JSON.parse(b) as Body);
    for (let i = 1; i < parsed.length; i++) {
      const [prev, cur] = [parsed[i - 1]!, parsed[i]!];
      // everything sent before is sent again, unchanged, in front of what is new
      expect(cur.system).toEqual(prev.system);
      expect(cur.tools).toEqual(prev.tools);
      expect(cur.messages.slice(0, prev.messages.length)).toEqual(prev.messages);
      const [assistant, user] = cur.messages.slice(prev.messages.length);
      expect(assistant!.role).toBe('assistant');
      expect(user!.content[0]!.tool_use_id).toBe(assistant!.content.find((c) => c.type === 'tool_use')!.id);
    }
  });

  it("a turn's answer streams as Anthropic events carrying that turn's text and tool call", () => {
    const events = sseData(sessionStream(3, 1000)) as { type: string; delta?: { type: string; text?: string; partial_json?: string } }[];
    expect(events[0]!.type).toBe('message_start');
    expect(events.at(-1)!.type).toBe('message_stop');
    const text = events.map((e) => (e.delta?.type === 'text_delta' ? e.delta.text : '')).join('');
    const json = events.map((e) => (e.delta?.type === 'input_json_delta' ? e.delta.partial_json : '')).join('');
    expect(text).toBe(sessionAnswer(3).text);
    expect(JSON.parse(json)).toEqual(sessionAnswer(3).toolInput);
  });
});

describe('bench measuring', () => {
  it('reads utime + stime from /proc/<pid>/stat, whatever the process name holds', () => {
    // pid (comm) state ppid … field 14 utime = 250, field 15 stime = 30 (ticks of 10 ms)
    const line = '4242 (node (worker) x) S 4000 4242 4242 0 -1 4194560 1000 0 0 0 250 30 0 0 20 0 11 0 500 0 0';
    expect(parseStatCpuMs(line)).toBe(2800);
    expect(parseStatPpid(line)).toBe(4000);
  });

  it("splits the proxy thread's CPU from the process's: another thread's work counts only in the total", async () => {
    const allBefore = cpuMs(process.pid)!;
    const mainBefore = mainThreadCpuMs(process.pid)!;
    // The worker burns 300 ms of CPU (the process's, which this thread, waiting, hardly adds to).
    const worker = new Worker('const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if (u.user + u.system >= 300_000) break; } require("node:worker_threads").parentPort.postMessage(1);', { eval: true });
    await once(worker, 'message');
    await worker.terminate();
    const all = cpuMs(process.pid)! - allBefore;
    const main = mainThreadCpuMs(process.pid)! - mainBefore;
    expect(all - main).toBeGreaterThanOrEqual(200);
    expect(main).toBeLessThan(all - 200);
    expect(mainThreadCpuMs(0x7fffffff)).toBeNull();
  });

  it("a late turn's storage is the median of the last ten, so one turn in which the search index merged does not stand for them", () => {
    const turn = (rowBytes: number | null) => ({ bodyBytes: 0, rowBytes, fileBytes: 0 });
    const turns = [30_000, ...Array.from({ length: 12 }, (_, i) => 9_000 + i * 10), -16_000].map(turn);
    expect(lateTurnRowBytes(turns)).toBe(9_065);
    expect(lateTurnRowBytes([turn(9_000), turn(null)])).toBeNull();
    expect(lateTurnRowBytes([])).toBeNull();
  });

  it("prints each proxy side's CPU per request over its warm-up windows, so the JIT's cold cost is seen beside the steady figures", () => {
    const raw: TrafficRaw = {
      plan: { ...QUICK_PLAN, warmupWindows: 3, warmupWindowRequests: 600 },
      startedAt: '2026-12-03T00:00:00.000Z',
      durationS: 1,
      machine: { cpus: 2, loadAvgAtStart: [0, 0, 0], node: 'v20', nginx: null },
      sides: ['direct', 'streamtap'],
      rounds: [],
      storage: { dbstat: true, stream20: null, stream200: null },
      session: null,
      memory: {},
      warmup: { streamtap: { throughputCpuMs: [3.9, 2.8, 2.6], nonstreamCpuMs: [1.2, null, 0.95] } },
      records: null,
      errors: [],
      notes: [],
    };
    const report = trafficReport(raw);
    expect(report.warmup.streamtap?.throughputCpuMs).toEqual([3.9, 2.8, 2.6]);
    const text = printTraffic(report);
    expect(text).toContain('successive windows of 600 requests');
    expect(text).toMatch(/throughput\s+3\.90 → 2\.80 → 2\.60/);
    expect(text).toMatch(/non-stream\s+1\.200 → — → 0\.950/);
  });

  it('quantiles are nearest-rank; the spread ignores rounds that measured nothing', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(spread([2, NaN, 0.5, 3])).toEqual({ min: 0.5, max: 3 });
  });

  it('a target is met, not met, or not measured', () => {
    expect(target('a', 'a', 0.2, 'ms', '<=', 0.3).met).toBe(true);
    expect(target('a', 'a', 0.31, 'ms', '<=', 0.3).met).toBe(false);
    expect(target('b', 'b', 0.8, 'x', '>=', 0.8).met).toBe(true);
    expect(target('c', 'c', 120, 'MB', '<', 120).met).toBe(false);
    expect(target('d', 'd', 1, '', '==', 0).met).toBe(false);
    expect(target('e', 'e', null, 'ms', '<', 1)).toMatchObject({ met: null, value: null });
    expect(target('f', 'f', NaN, 'ms', '<', 1).met).toBeNull();
    expect(target('g', 'g', 1, 'ms', '<', 2, [0.5, 1.5, 1]).rounds).toEqual({ min: 0.5, max: 1.5 });
  });

  it('nginx streams (no response buffering) and keeps HTTP/1.1 connections to the provider', () => {
    const conf = nginxConfig({ dir: '/tmp/x', port: 41000, upstreamPort: 42000 });
    expect(conf).toContain('listen 127.0.0.1:41000;');
    expect(conf).toContain('server 127.0.0.1:42000;');
    expect(conf).toMatch(/proxy_buffering off;/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header Connection "";/);
    expect(conf).toMatch(/keepalive \d+;/);
  });
});

describe('bench scale records', () => {
  it('are deterministic in their index and carry the rare word exactly every RARE_EVERY records', () => {
    const strip = (i: number) => ({ ...scaleRecord(i, 1_700_000_000_000), id: '', turnId: '' });
    expect(strip(12_345)).toEqual(strip(12_345));
    expect(strip(12_345)).not.toEqual(strip(12_346));
    expect(scaleRecord(RARE_EVERY * 3, 0).requestBody.text).toContain(RARE_WORD);
    // in the stored prompt too, which search reads (the body is not searched)
    expect(scaleRecord(RARE_EVERY * 3, 0).conversation?.prompt).toContain(RARE_WORD);
    expect(scaleRecord(RARE_EVERY * 3 + 1, 0).requestBody.text).not.toContain(RARE_WORD);
  });

  it('are varied and survive a round trip through the store unchanged', () => {
    const store = openStore({ path: ':memory:' });
    try {
      const recs = Array.from({ length: 400 }, (_, i) => scaleRecord(i * 101, 1_700_000_000_000 + i * 1000));
      for (const r of recs) store.insert(r);
      expect(store.flush()).toBe(true);
      for (const r of recs) expect(store.get(r.id)).toEqual(r);
      expect(new Set(recs.map((r) => r.outcome)).size).toBeGreaterThanOrEqual(5);
      expect(new Set(recs.map((r) => r.client)).size).toBeGreaterThanOrEqual(5);
      expect(new Set(recs.map((r) => r.api)).size).toBeGreaterThanOrEqual(3);
      expect(recs.some((r) => r.stream) && recs.some((r) => !r.stream)).toBe(true);
      expect(recs.some((r) => r.sessionId !== null) && recs.some((r) => r.sessionId === null)).toBe(true);
    } finally {
      store.close();
    }
  });
});

// `npm run bench`: the same streaming and non-streaming workloads sent direct to the
// fake upstream and through Streamtap, alternating in one run, so both see the same
// machine state. Reports what Streamtap adds as ratios to direct, its peak memory, and
// whether every proxied request was recorded. All traffic stays on 127.0.0.1; every
// loop is bounded in count and in time.
//
//   npm run bench [-- --rounds N --quick]

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { openStore } from '../src-main/core/db/store.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || (quick ? 2 : 5);
const TTFT_REQUESTS = quick ? 40 : 120; // per round and side
const GAP_CHUNKS = 40;
const THROUGHPUT_CHUNKS = quick ? 2_000 : 5_000;
const NONSTREAM_MS = quick ? 1_000 : 2_500;
const NONSTREAM_CONCURRENCY = 16;
const HARD_LIMIT_MS = 8 * 60_000;
const benchStart = performance.now();

function overTime(): boolean {
  return performance.now() - benchStart > HARD_LIMIT_MS;
}

const children: ChildProcess[] = [];
function startChild(script: string[], pattern: RegExp, nodeFlags: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${script[0]} did not start: ${out}${err}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script[0]} exited ${code}: ${err}`)));
  });
}

function peakRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });

const CONTENT = /"content":"[^"]/;

const CHAT_BODY = (stream: boolean) =>
  JSON.stringify({ model: 'gpt-bench', stream, messages: [{ role: 'user', content: 'Benchmark prompt: say something.' }] });

/** One streaming request; returns TTFT (first content chunk) and gaps between chunks. */
async function streamOnce(base: string, scenario: object): Promise<{ ttft: number; gaps: number[]; bytes: number; ms: number }> {
  const t0 = performance.now();
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', 'x-fake-scenario': JSON.stringify(scenario), authorization: 'Bearer sk-bench-0000000000000000' },
    body: CHAT_BODY(true),
  });
  let ttft = NaN;
  let last = 0;
  let bytes = 0;
  const gaps: number[] = [];
  for await (const chunk of res.body) {
    const now = performance.now();
    bytes += (chunk as Buffer).length;
    if (Number.isNaN(ttft)) {
      // the first chunk that carries answer text (the role-only chunk has "content":"")
      if (CONTENT.test((chunk as Buffer).toString('utf8'))) ttft = now - t0;
    } else if (last) gaps.push(now - last);
    last = now;
  }
  if (res.statusCode !== 200) throw new Error(`stream status ${res.statusCode}`);
  return { ttft, gaps, bytes, ms: performance.now() - t0 };
}

async function nonStreamRps(base: string, ms: number): Promise<{ rps: number; count: number }> {
  const end = performance.now() + ms;
  let count = 0;
  const worker = async () => {
    for (let i = 0; i < 100_000 && performance.now() < end; i++) {
      const res = await request(`${base}/v1/chat/completions`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000000000000000' },
        body: CHAT_BODY(false),
      });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      count++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: NONSTREAM_CONCURRENCY }, worker));
  return { rps: count / ((performance.now() - t0) / 1000), count };
}

interface Side {
  ttft: number[];
  gaps: number[];
  throughput: number[]; // bytes/s
  rps: number[];
  requests: number;
}
const side = (): Side => ({ ttft: [], gaps: [], throughput: [], rps: [], requests: 0 });

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-bench-'));
  const db = path.join(dir, 'bench.db');
  const fake = await startChild(['bench/fake-server.ts'], /fake (http:\/\/127\.0\.0\.1:\d+)/);
  const proxy = await startChild(
    ['src-main/headless/cli.ts', 'serve', '--port', '0', '--db', db, '--upstream', `openai=${fake.url}`, '--upstream', `anthropic=${fake.url}`, '--no-dashboard'],
    /listening (http:\/\/127\.0\.0\.1:\d+)/,
    // the same flags `npm run streamtap` uses
    ['--max-semi-space-size=16'],
  );
  const direct = side();
  const viaProxy = side();
  const targets: [Side, string][] = [
    [direct, fake.url],
    [viaProxy, proxy.url],
  ];
  try {
    // Warm both paths (JIT, connection pools, tokenizer load) before measuring.
    for (const [s, base] of targets) {
      for (let i = 0; i < 20; i++) await streamOnce(base, { chunks: 5 });
      s.requests += 20 + (await nonStreamRps(base, 300)).count;
    }
    const ttftScenario = { chunks: 3, firstTokenDelayMs: 2 };
    const gapScenario = { chunks: GAP_CHUNKS, chunkDelayMs: 5 };
    // One delta per 64 characters: the fake gives at most one delta per character of text.
    const throughputScenario = { chunks: THROUGHPUT_CHUNKS, text: 'The quick brown fox jumps over the lazy dog, again and again. ', textRepeat: THROUGHPUT_CHUNKS };
    for (let round = 0; round < ROUNDS && !overTime(); round++) {
      // Alternate which side goes first so drift over the run does not favour one.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const [s, base] of order) {
        for (let i = 0; i < TTFT_REQUESTS && !overTime(); i++) {
          const r = await streamOnce(base, ttftScenario);
          s.ttft.push(r.ttft);
          s.requests++;
        }
      }
      for (const [s, base] of order) {
        for (let i = 0; i < 5; i++) {
          const r = await streamOnce(base, gapScenario);
          s.gaps.push(...r.gaps);
          s.requests++;
        }
      }
      for (const [s, base] of order) {
        const r = await streamOnce(base, throughputScenario);
        s.throughput.push(r.bytes / (r.ms / 1000));
        s.requests++;
      }
      for (const [s, base] of order) {
        const r = await nonStreamRps(base, NONSTREAM_MS);
        s.rps.push(r.rps);
        s.requests += r.count;
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    await dispatcher.close();
  }
  const peakMb = peakRssMb(proxy.child.pid!);
  proxy.child.kill('SIGTERM');
  await new Promise((r) => proxy.child.once('exit', r));
  fake.child.kill('SIGTERM');

  const store = openStore({ path: db });
  const recorded = store.count({});
  const inProgress = store.count({ outcome: ['in_progress', 'interrupted'] });
  store.close();
  const med = (xs: number[]) => quantile(xs, 0.5);
  const result = {
    rounds: ROUNDS,
    addedTtftP50Ms: med(viaProxy.ttft) - med(direct.ttft),
    addedTtftP99Ms: quantile(viaProxy.ttft, 0.99) - quantile(direct.ttft, 0.99),
    ttftP50Ms: { direct: med(direct.ttft), proxy: med(viaProxy.ttft) },
    addedChunkGapP99Ms: quantile(viaProxy.gaps, 0.99) - quantile(direct.gaps, 0.99),
    streamingThroughputRatio: med(viaProxy.throughput) / med(direct.throughput),
    streamingThroughputMBps: { direct: med(direct.throughput) / 1e6, proxy: med(viaProxy.throughput) / 1e6 },
    nonStreamingRpsRatio: med(viaProxy.rps) / med(direct.rps),
    nonStreamingRps: { direct: med(direct.rps), proxy: med(viaProxy.rps) },
    proxyPeakRssMb: peakMb,
    proxiedRequests: viaProxy.requests,
    recordedRequests: recorded,
    recordsLost: Math.max(0, viaProxy.requests - recorded),
    notSettled: inProgress,
  };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-results', 'bench.json'), JSON.stringify(result, null, 2));
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    `Streamtap benchmark (${ROUNDS} rounds, direct vs through Streamtap, alternating)`,
    `  added TTFT p50        ${f(result.addedTtftP50Ms, 3)} ms   (target <= 0.5 ms: ${verdict(result.addedTtftP50Ms <= 0.5)})   direct ${f(result.ttftP50Ms.direct, 3)} ms, proxied ${f(result.ttftP50Ms.proxy, 3)} ms`,
    `  added TTFT p99        ${f(result.addedTtftP99Ms, 3)} ms   (target <= 2 ms: ${verdict(result.addedTtftP99Ms <= 2)})`,
    `  added chunk-gap p99   ${f(result.addedChunkGapP99Ms, 3)} ms`,
    `  streaming throughput  ${f(result.streamingThroughputRatio)}x direct   (target >= 0.8: ${verdict(result.streamingThroughputRatio >= 0.8)})   ${f(result.streamingThroughputMBps.proxy)} vs ${f(result.streamingThroughputMBps.direct)} MB/s`,
    `  non-streaming req/s   ${f(result.nonStreamingRpsRatio)}x direct   (target >= 0.4: ${verdict(result.nonStreamingRpsRatio >= 0.4)})   ${f(result.nonStreamingRps.proxy, 0)} vs ${f(result.nonStreamingRps.direct, 0)} req/s`,
    `  proxy peak RSS        ${peakMb === null ? 'n/a' : f(peakMb, 1) + ' MB'}`,
    `  records               ${result.recordedRequests} recorded of ${result.proxiedRequests} proxied; lost ${result.recordsLost} (target 0: ${verdict(result.recordsLost === 0)}); not settled ${result.notSettled}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

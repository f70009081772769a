// A measurement, not a test: what large and hostile request bodies cost the proxy.
// While one stream runs at a 10 ms cadence through Streamtap, it sends a gzip bomb
// (512 MiB of spaces gzipped to ~0.5 MB), one 30 MB JSON body, and ten concurrent 30 MB
// bodies, and reports how much each adds to the stream's worst chunk gap (target:
// <= 20 ms) and the proxy process's memory: baseline, peak (target: under baseline + 2x
// the capture limit per concurrent large body) and some seconds later.
//
// The fake provider, the proxy (`streamtap serve`) and the stream's reader each run in
// a process of their own, so the gaps and the memory are the proxy's. All traffic stays
// on 127.0.0.1; every loop is bounded in count and time.
//
//   npx tsx bench/request-bodies.ts

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { Agent, request } from 'undici';
import { DEFAULT_LIMITS } from '../src-main/core/config.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const role = process.argv[2];

if (role === '--sink') {
  // Child: the provider the large bodies go to. It reads and drops them and answers a
  // small JSON, so its own work never slows the cadence stream's provider.
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      const body = JSON.stringify({ id: 'sink', object: 'chat.completion', choices: [], bytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`sink http://127.0.0.1:${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (role === '--stream-reader') {
  // Child: reads one 10 ms-cadence stream and prints its chunk gaps as JSON.
  const [base, chunks] = [process.argv[3]!, Number(process.argv[4])];
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-fake-scenario': JSON.stringify({ chunks, chunkDelayMs: 10, text: 'tick '.repeat(chunks) }) },
    body: JSON.stringify({ model: 'cadence', stream: true, messages: [{ role: 'user', content: 'tick' }] }),
  });
  const reader = res.body!.getReader();
  const gaps: number[] = [];
  let last = 0;
  for (;;) {
    const { done } = await reader.read();
    const now = performance.now();
    if (done) break;
    if (last) gaps.push(now - last);
    last = now;
  }
  process.stdout.write(JSON.stringify({ gaps }) + '\n');
  process.exit(0);
}

if (role === undefined) await main();

async function main(): Promise<void> {
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  });
}

/** CPU time the process has used, all threads, in ms (utime + stime; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples a process's RSS every 20 ms until stop() is called; returns the peak. */
function sampleRss(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

function readStream(base: string, chunks: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/request-bodies.ts', '--stream-reader', base, String(chunks)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { gaps: number[] }).gaps) : reject(new Error(`reader exited ${code}`))));
  });
}

const dispatcher = new Agent({ connections: 32, bodyTimeout: 120_000, headersTimeout: 120_000 });

async function send(base: string, body: Buffer, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${base}/sink/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, dispatcher });
  await res.body.dump();
  return res.statusCode;
}

function gzipBomb(spacesMiB: number): Promise<Buffer> {
  const gz = zlib.createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (b: Buffer) => parts.push(b));
  gz.write('{"model":"bomb","stream":false,"messages":[{"role":"user","content":"');
  const mib = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < spacesMiB; i++) gz.write(mib);
  gz.end('"}]}');
  return new Promise<Buffer>((resolve) => gz.once('end', () => resolve(Buffer.concat(parts))));
}

function jsonBody(mb: number): Buffer {
  const message = { role: 'user', content: 'x'.repeat(10_000) };
  const n = Math.ceil((mb * 1024 * 1024) / 10_030);
  return Buffer.from(JSON.stringify({ model: 'big', stream: false, messages: Array.from({ length: n }, () => message) }));
}

function max(xs: number[]): number {
  return xs.reduce((m, x) => Math.max(m, x), 0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-bodies-'));
const deadline = performance.now() + 8 * 60_000;
try {
  const fake = await start(['bench/fake-server.ts'], /fake (http:\/\/127\.0\.0\.1:\d+)/);
  const sink = await start(['bench/request-bodies.ts', '--sink'], /sink (http:\/\/127\.0\.0\.1:\d+)/);
  const proxy = await start(
    ['src-main/headless/cli.ts', 'serve', '--port', '0', '--db', path.join(dir, 'b.db'), '--no-dashboard', '--upstream', `openai=${fake.url}`, '--upstream', `anthropic=${fake.url}`, '--upstream', `sink=${sink.url}`],
    /listening (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const pid = proxy.child.pid!;
  const cap = DEFAULT_LIMITS.requestBodyBytes / (1024 * 1024);
  const bomb = await gzipBomb(512);
  const big = jsonBody(30);
  process.stderr.write(`gzip bomb: ${(bomb.length / 1024).toFixed(0)} KiB for 512 MiB; JSON body ${(big.length / 1e6).toFixed(1)} MB; capture limit ${cap} MiB\n`);

  // Warm up (tokenizer preload, JIT), then settle.
  await readStream(proxy.url, 30);
  await new Promise((r) => setTimeout(r, 2_000));
  const baselineMb = rssMb(pid);
  const quiet = await readStream(proxy.url, 300);

  const rows: { load: string; worstGapMs: number; addedMs: number; peakMb: number; allowedMb: number; cpuMs: number; statuses: string }[] = [];
  const during = async (label: string, concurrent: number, run: () => Promise<number[]>) => {
    if (performance.now() > deadline) throw new Error('over the time limit');
    const cpuBefore = cpuMs(pid);
    const sampler = sampleRss(pid);
    const streamDone = readStream(proxy.url, 300);
    // Let the stream get going, then send the load in the middle of it.
    await new Promise((r) => setTimeout(r, 600));
    const statuses = await run();
    const gaps = await streamDone;
    const peak = sampler.stop();
    rows.push({
      load: label,
      worstGapMs: max(gaps),
      addedMs: max(gaps) - max(quiet),
      peakMb: peak,
      allowedMb: baselineMb + 2 * cap * concurrent,
      // includes the 300-chunk cadence stream itself (a few ms)
      cpuMs: cpuMs(pid) - cpuBefore,
      statuses: [...new Set(statuses)].join(','),
    });
  };
  await during('gzip bomb (512 MiB of spaces)', 1, async () => [await send(proxy.url, bomb, { 'content-encoding': 'gzip' })]);
  await during('one 30 MB JSON body', 1, async () => [await send(proxy.url, big)]);
  await during('ten concurrent 30 MB JSON bodies', 10, () => Promise.all(Array.from({ length: 10 }, () => send(proxy.url, big))));

  // Memory afterwards: sampled for up to 20 s, reported when it is back within 30 MB
  // of the baseline (or at the end).
  let afterMb = rssMb(pid);
  const settleStart = performance.now();
  while (performance.now() - settleStart < 20_000 && afterMb > baselineMb + 30) {
    await new Promise((r) => setTimeout(r, 500));
    afterMb = rssMb(pid);
  }
  const settledAfterS = (performance.now() - settleStart) / 1000;

  process.stdout.write(`\nquiet stream: worst chunk gap ${max(quiet).toFixed(1)} ms (10 ms cadence); proxy RSS baseline ${baselineMb.toFixed(0)} MB\n\n`);
  process.stdout.write('| load during the stream | worst gap | added | target | proxy CPU | proxy peak RSS | allowed | status |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(
      `| ${r.load} | ${r.worstGapMs.toFixed(1)} ms | ${r.addedMs.toFixed(1)} ms | ${r.addedMs <= 20 ? 'met' : 'MISSED'} | ${r.cpuMs} ms | ${r.peakMb.toFixed(0)} MB | ${r.allowedMb.toFixed(0)} MB (${r.peakMb <= r.allowedMb ? 'met' : 'MISSED'}) | ${r.statuses} |\n`,
    );
  }
  process.stdout.write(`\nload average while measuring: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores\n`);
  process.stdout.write(`\nafterwards: ${afterMb.toFixed(0)} MB, ${settledAfterS.toFixed(1)} s after the last load (baseline ${baselineMb.toFixed(0)} MB)\n`);
  proxy.child.kill('SIGTERM');
  fake.child.kill('SIGTERM');
  sink.child.kill('SIGTERM');
} finally {
  await dispatcher.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
}

// The traffic benchmark: the same workloads sent direct to the fake provider, through
// Streamtap (recording), through Streamtap with recording paused, and through nginx,
// the sides alternating within each round so all of them see the same machine. Each
// proxy is its own process; its CPU time (all threads) and memory are read from /proc.
// Traffic goes to 127.0.0.1 only; every loop is bounded in count and in time.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { openStore } from '../src-main/core/db/store.js';
import { QUIET_MS } from '../src-main/core/idle-memory.js';
import { createPool, exchange, runConcurrent, type ExchangeSpec } from './load.js';
import { startNginx, type Nginx } from './nginx.js';
import {
  cpuMs,
  mainThreadCpuMs,
  abandonStarted,
  machineCpuMs,
  memoryMb,
  procAvailable,
  spawnProcess,
  stopProcess,
  streamtapNodeArgs,
  waitForLine,
  waitQuiet,
  type Proc,
} from './procs.js';
import { quantile, median, spread } from './stats.js';
import { delta, StorageReader, type StorageDelta, type StorageSnapshot } from './storage.js';
import {
  AgentSession,
  CHAT_HEADERS,
  LATENCY_CHUNKS,
  LATENCY_CHUNK_GAP_MS,
  NONSTREAM_WORDS,
  SESSION_FINAL_BYTES,
  SESSION_TURNS,
  THROUGHPUT_CHUNKS,
  THROUGHPUT_CHUNK_BYTES,
  TURN_HEADER,
  WORKLOAD_HEADER,
  chatRequestBody,
  type Workload,
} from './workloads.js';

export const SIDES = ['direct', 'streamtap', 'paused', 'nginx'] as const;
export type SideName = (typeof SIDES)[number];
export const SIDE_LABELS: Record<SideName, string> = {
  direct: 'direct',
  streamtap: 'Streamtap',
  paused: 'Streamtap, paused',
  nginx: 'nginx',
};

export const LATENCY_CONCURRENCY = 8;
export const THROUGHPUT_CONCURRENCY = 32;
export const NONSTREAM_CONCURRENCY = 16;

export interface Plan {
  mode: 'full' | 'quick';
  rounds: number;
  /** latency streams per worker per side per round (8 workers) */
  latencyStreamsPerWorker: number;
  throughputMs: number;
  nonstreamMs: number;
  /** streams of each shape measured for the storage figures */
  storageStreams: number;
  /** turns of the agent session (its last request is SESSION_FINAL_BYTES whatever the count) */
  sessionTurns: number;
  warmupMs: number;
  /** Warm-up windows per proxy side and workload, and the requests in each: a Node
   * process keeps JIT-compiling its hot code on V8's background threads for its first
   * few thousand requests (about half a millisecond of a 200-chunk stream's CPU in the
   * first 1,600), a cost a tray app running all day pays once. The windows' CPU per
   * request is reported, so the cold cost is seen, not hidden. */
  warmupWindows: number;
  warmupWindowRequests: number;
  /** the whole run stops starting new work after this */
  hardLimitMs: number;
}

export const FULL_PLAN: Plan = { mode: 'full', rounds: 3, latencyStreamsPerWorker: 20, throughputMs: 3_000, nonstreamMs: 2_500, storageStreams: 64, sessionTurns: SESSION_TURNS, warmupMs: 500, warmupWindows: 4, warmupWindowRequests: 600, hardLimitMs: 15 * 60_000 };
export const QUICK_PLAN: Plan = { mode: 'quick', rounds: 1, latencyStreamsPerWorker: 3, throughputMs: 600, nonstreamMs: 500, storageStreams: 4, sessionTurns: 10, warmupMs: 150, warmupWindows: 1, warmupWindowRequests: 50, hardLimitMs: 2 * 60_000 };

// ---- measured values ---------------------------------------------------------------

export interface CpuWindow {
  /** CPU time of the proxy process(es), all threads; null for the direct side */
  proxyMs: number | null;
  /** of that, the main thread's (the one serving the proxy: a process's single thread
   * for nginx's workers); null for the direct side */
  proxyThreadMs: number | null;
  upstreamMs: number | null;
  loadgenMs: number;
  /** cores kept busy by everything else on the machine during the window (other engineers' builds…) */
  othersCores: number | null;
  windowMs: number;
}

export interface LatencyRun {
  streams: number;
  errors: number;
  ttft: number[];
  gaps: number[];
  wallMs: number;
  cpu: CpuWindow;
}

export interface RateRun {
  count: number;
  errors: number;
  bytes: number;
  wallMs: number;
  cpu: CpuWindow;
}

export interface RoundResult {
  latency: Partial<Record<SideName, LatencyRun>>;
  throughput: Partial<Record<SideName, RateRun>>;
  nonstream: Partial<Record<SideName, RateRun>>;
}

export interface StreamStorage {
  streams: number;
  rowBytesPerStream: number | null;
  fileBytesPerStream: number;
  byObject: Record<string, number>;
}

export interface SessionResult {
  turns: number;
  errors: number;
  bytesSent: number;
  firstBodyBytes: number;
  lastBodyBytes: number;
  rowBytes: number | null;
  fileBytes: number;
  rowBytesPerTurn: number | null;
  fileBytesPerTurn: number;
  /** rowBytes ÷ bytesSent */
  storedRatio: number | null;
  fileRatio: number;
  perTurn: { bodyBytes: number; rowBytes: number | null; fileBytes: number }[];
  /** the median of the last LATE_TURNS turns' rowBytes: what a turn costs once the
   * conversation is long. One turn alone can read low, even below zero, when the
   * search index merges earlier segments while it is written. */
  lateTurnRowBytes: number | null;
  byObject: Record<string, number>;
}

/** turns at the end of the session whose median is its late-turn figure */
export const LATE_TURNS = 10;

export interface MemoryResult {
  /** after start, settled, before any request */
  idleStartMb: number | null;
  /** after the warm-up, settled: the idle figure the target is about */
  idleMb: number | null;
  /** highest RSS sampled (every 50 ms) while the throughput workload ran through it */
  throughputPeakMb: number | null;
  /** VmHWM at the end of the run: the highest RSS ever */
  peakMb: number | null;
  /** after the last round, settled */
  idleAfterMb: number | null;
}

export interface WarmupResult {
  throughputCpuMs: (number | null)[];
  nonstreamCpuMs: (number | null)[];
}

export interface RecordsResult {
  sent: number;
  recorded: number;
  completed: number;
  lost: number;
  byOutcome: Record<string, number>;
}

export interface TrafficRaw {
  plan: Plan;
  startedAt: string;
  durationS: number;
  machine: { cpus: number; loadAvgAtStart: number[]; node: string; nginx: string | null };
  sides: SideName[];
  rounds: RoundResult[];
  storage: { dbstat: boolean; stream20: StreamStorage | null; stream200: StreamStorage | null };
  session: SessionResult | null;
  memory: Partial<Record<SideName, MemoryResult>>;
  /** each proxy side's CPU per request (ms, all threads) in its successive warm-up windows */
  warmup: Partial<Record<SideName, WarmupResult>>;
  records: RecordsResult | null;
  errors: string[];
  notes: string[];
}

// ---- sides ---------------------------------------------------------------------------

interface Side {
  name: SideName;
  url: string;
  pool: Pool;
  /** processes whose CPU is the side's cost (none for direct) */
  pids(): number[];
  /** requests sent to it */
  sent: number;
}

const CHAT_PATH = '/v1/chat/completions';

function chatSpec(workload: Exclude<Workload, 'session'>, timing: boolean): ExchangeSpec {
  const stream = workload !== 'nonstream';
  return {
    path: CHAT_PATH,
    headers: { ...CHAT_HEADERS, [WORKLOAD_HEADER]: workload },
    body: chatRequestBody(stream),
    endsWith: stream ? 'data: [DONE]' : '}',
    timing,
  };
}

const SPECS = {
  latency: chatSpec('latency', true),
  throughput: chatSpec('throughput', false),
  nonstream: chatSpec('nonstream', false),
};

/** Idle as a tray app sits between agent turns: quiet, and past the QUIET_MS after
 * which Streamtap gives its heap back (core/idle-memory.ts), with a second of margin. */
async function settleIdle(pids: number[]): Promise<void> {
  await waitQuiet(pids, 10_000);
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS + 1_000));
  await waitQuiet(pids, 10_000);
}

/** Streamtap's `serve`, as `npm run streamtap -- serve` runs it, on a database of its own. */
async function startStreamtap(dir: string, name: string, upstreamUrl: string): Promise<{ proc: Proc; url: string; token: string; db: string }> {
  const db = path.join(dir, `${name}.db`);
  const env: NodeJS.ProcessEnv = {};
  // The user's own STREAMTAP_* settings must not change what is measured.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STREAMTAP_')) env[k] = v;
  env['STREAMTAP_DATA_DIR'] = path.join(dir, `${name}-data`);
  // An empty settings file of its own: defaults, and never the user's settings.json.
  const settings = path.join(dir, `${name}-settings.json`);
  fs.writeFileSync(settings, '{}\n');
  const proc = spawnProcess(
    process.execPath,
    [
      ...streamtapNodeArgs(),
      'serve',
      '--port',
      '0',
      '--db',
      db,
      '--settings',
      settings,
      '--upstream',
      `openai=${upstreamUrl}`,
      '--upstream',
      `anthropic=${upstreamUrl}`,
    ],
    { what: `Streamtap (${name})`, env },
  );
  const dashboard = await waitForLine(proc, /dashboard (http:\/\/127\.0\.0\.1:\d+\S*)/, 60_000);
  const u = new URL(dashboard);
  return { proc, url: u.origin, token: u.searchParams.get('token') ?? '', db };
}

async function pauseRecording(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/__streamtap/api/call/recording.setPaused`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-streamtap-token': token },
    body: JSON.stringify({ paused: true }),
  });
  const body = (await res.json()) as { ok: boolean; result?: { paused: boolean } };
  if (!body.ok || body.result?.paused !== true) throw new Error(`could not pause the second Streamtap: ${JSON.stringify(body)}`);
}

// ---- the run -------------------------------------------------------------------------

export async function runTraffic(plan: Plan, log: (line: string) => void): Promise<TrafficRaw> {
  if (!procAvailable()) throw new Error('the benchmark reads CPU time and memory from /proc: it runs on Linux only');
  const t0 = performance.now();
  const overTime = () => performance.now() - t0 > plan.hardLimitMs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-bench-'));
  const raw: TrafficRaw = {
    plan,
    startedAt: new Date().toISOString(),
    durationS: 0,
    machine: { cpus: os.cpus().length, loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100), node: process.version, nginx: null },
    sides: [],
    rounds: [],
    storage: { dbstat: false, stream20: null, stream200: null },
    session: null,
    memory: {},
    warmup: {},
    records: null,
    errors: [],
    notes: [],
  };
  const pools: Pool[] = [];
  let upstream: Proc | null = null;
  let recording: Awaited<ReturnType<typeof startStreamtap>> | null = null;
  let paused: Awaited<ReturnType<typeof startStreamtap>> | null = null;
  let nginx: Nginx | null = null;
  let reader: StorageReader | null = null;
  let nginxStart: ReturnType<typeof startNginx> | null = null;
  const onSignal = () => {
    abandonStarted();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log('starting the fake provider, two Streamtaps and nginx…');
    upstream = spawnProcess(process.execPath, ['--import', 'tsx', 'bench/upstream.ts'], { what: 'the fake provider' });
    const upstreamUrl = await waitForLine(upstream, /upstream (http:\/\/127\.0\.0\.1:\d+)/);
    const upstreamPid = upstream.pid;
    nginxStart = startNginx(path.join(dir, 'nginx'), Number(new URL(upstreamUrl).port));
    [recording, paused] = await Promise.all([startStreamtap(dir, 'recording', upstreamUrl), startStreamtap(dir, 'paused', upstreamUrl)]);
    await pauseRecording(paused.url, paused.token);
    const n = await nginxStart;
    if (typeof n === 'string') raw.notes.push(n);
    else {
      nginx = n;
      raw.machine.nginx = n.version;
    }

    const makeSide = (name: SideName, url: string, pids: () => number[]): Side => {
      // More connections than the busiest workload's 32 concurrent requests.
      const pool = createPool(url, 64);
      pools.push(pool);
      return { name, url, pool, pids, sent: 0 };
    };
    const rec = recording;
    const pau = paused;
    const sides: Side[] = [
      makeSide('direct', upstreamUrl, () => []),
      makeSide('streamtap', rec.url, () => [rec.proc.pid]),
      makeSide('paused', pau.url, () => [pau.proc.pid]),
    ];
    if (nginx) {
      const ng = nginx;
      sides.push(makeSide('nginx', ng.url, () => ng.pids()));
    }
    raw.sides = sides.map((s) => s.name);
    const side = (name: SideName) => sides.find((s) => s.name === name)!;
    const proxyPids = () => sides.flatMap((s) => s.pids());
    const allPids = () => [upstreamPid, ...proxyPids()];

    // The resident memory of the side running the throughput workload, every 50 ms: its peak under load.
    let sampling: SideName | null = null;
    const throughputPeak: Partial<Record<SideName, number>> = {};
    const sampler = setInterval(() => {
      if (!sampling) return;
      let rss = 0;
      for (const pid of side(sampling).pids()) rss += memoryMb(pid)?.rss ?? 0;
      throughputPeak[sampling] = Math.max(throughputPeak[sampling] ?? 0, rss);
    }, 50);
    sampler.unref();
    const rssOf = (s: Side) => {
      const pids = s.pids();
      if (pids.length === 0) return null;
      return pids.reduce((a, pid) => a + (memoryMb(pid)?.rss ?? 0), 0);
    };

    log('waiting for every process to go idle…');
    await waitQuiet(allPids(), 10_000);
    for (const s of sides) if (s.name !== 'direct') raw.memory[s.name] = { idleStartMb: rssOf(s), idleMb: null, throughputPeakMb: null, peakMb: null, idleAfterMb: null };

    // ---- workloads -------------------------------------------------------------------
    const errorSamples = new Set<string>();
    const noteError = (s: Side, w: string, e: string | null) => {
      if (errorSamples.size < 20) errorSamples.add(`${SIDE_LABELS[s.name]}, ${w}: ${e}`);
    };

    const latency = async (s: Side, perWorker: number): Promise<Omit<LatencyRun, 'cpu'>> => {
      const ttft: number[] = [];
      const gaps: number[] = [];
      let errors = 0;
      const r = await runConcurrent(LATENCY_CONCURRENCY, { count: LATENCY_CONCURRENCY * perWorker, ms: 60_000 }, async () => {
        s.sent++;
        const x = await exchange(s.pool, SPECS.latency);
        if (!x.ok) {
          errors++;
          noteError(s, 'latency', x.error);
          return;
        }
        ttft.push(x.ttftMs);
        for (const g of x.gaps) gaps.push(g);
      });
      return { streams: r.count, errors, ttft, gaps, wallMs: r.ms };
    };
    const rate = async (s: Side, w: 'throughput' | 'nonstream', ms: number, count = 1_000_000): Promise<Omit<RateRun, 'cpu'>> => {
      let errors = 0;
      let bytes = 0;
      const concurrency = w === 'throughput' ? THROUGHPUT_CONCURRENCY : NONSTREAM_CONCURRENCY;
      const r = await runConcurrent(concurrency, { count, ms }, async () => {
        s.sent++;
        const x = await exchange(s.pool, SPECS[w]);
        bytes += x.bytes;
        if (!x.ok) {
          errors++;
          noteError(s, w, x.error);
        }
      });
      return { count: r.count, errors, bytes, wallMs: r.ms };
    };

    /** CPU of all the processes, null when one of them is gone */
    const sumCpu = (pids: number[], read: (pid: number) => number | null = cpuMs): number | null => {
      let total = 0;
      for (const pid of pids) {
        const c = read(pid);
        if (c === null) return null;
        total += c;
      }
      return total;
    };
    const snapshotCpu = (s: Side) => {
      const proxy = sumCpu(s.pids());
      const proxyThread = sumCpu(s.pids(), mainThreadCpuMs);
      const ours = sumCpu(allPids()) ?? 0;
      const lg = process.cpuUsage();
      return { at: performance.now(), proxy, proxyThread, upstream: cpuMs(upstreamPid), loadgen: (lg.user + lg.system) / 1000, ours, machine: machineCpuMs() };
    };
    /** CPU spent between two readings, null when a process was gone at either */
    const spent = (before: number | null, after: number | null) => (before === null || after === null ? null : after - before);
    /** Runs one side's part of a workload between two quiet points, so its CPU window
     * holds all its work (the store's deferred writes too) and no one else's. */
    const measured = async <T>(s: Side, run: () => Promise<T>): Promise<T & { cpu: CpuWindow }> => {
      await waitQuiet(allPids());
      const a = snapshotCpu(s);
      const result = await run();
      await waitQuiet([upstreamPid, ...s.pids()]);
      const b = snapshotCpu(s);
      const loadgenMs = b.loadgen - a.loadgen;
      const windowMs = b.at - a.at;
      const othersCores = a.machine && b.machine ? Math.max(0, b.machine.busy - a.machine.busy - (b.ours - a.ours) - loadgenMs) / windowMs : null;
      return {
        ...result,
        cpu: {
          proxyMs: s.name === 'direct' ? null : spent(a.proxy, b.proxy),
          proxyThreadMs: s.name === 'direct' ? null : spent(a.proxyThread, b.proxyThread),
          upstreamMs: spent(a.upstream, b.upstream),
          loadgenMs,
          othersCores,
          windowMs,
        },
      };
    };

    // ---- warm-up: JIT, connection pools, the tokenizer --------------------------------
    log('warming up every side…');
    const warmupWindows = async (s: Side, w: 'throughput' | 'nonstream'): Promise<(number | null)[]> => {
      const out: (number | null)[] = [];
      for (let i = 0; i < plan.warmupWindows; i++) {
        const run = await measured(s, () => rate(s, w, 60_000, plan.warmupWindowRequests));
        out.push(per(run.cpu.proxyMs, run.count));
      }
      return out;
    };
    for (const s of sides) {
      await latency(s, 1);
      if (s.name === 'direct') {
        await rate(s, 'throughput', plan.warmupMs);
        await rate(s, 'nonstream', plan.warmupMs);
        continue;
      }
      const throughputCpuMs = await warmupWindows(s, 'throughput');
      const nonstreamCpuMs = await warmupWindows(s, 'nonstream');
      raw.warmup[s.name] = { throughputCpuMs, nonstreamCpuMs };
    }
    await settleIdle(allPids());
    for (const s of sides) if (raw.memory[s.name]) raw.memory[s.name]!.idleMb = rssOf(s);

    // ---- storage: what a record costs on disk -------------------------------------------
    const st = side('streamtap');
    reader = new StorageReader(rec.db);
    raw.storage.dbstat = reader.hasDbstat;
    if (!reader.hasDbstat) raw.notes.push('this better-sqlite3 build has no dbstat table: row bytes are not measured, file bytes (pages in use) are');
    const r0 = reader;
    const settled = async (): Promise<StorageSnapshot> => {
      // Every request sent so far has its final row on disk (bounded wait).
      const end = Date.now() + 10_000;
      while (r0.settledCount() < st.sent && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      if (r0.settledCount() < st.sent) raw.notes.push('a storage figure was taken before every record had settled (10 s after its request): it reads low');
      return r0.snapshot();
    };
    const streamStorage = async (w: 'latency' | 'throughput'): Promise<StreamStorage> => {
      const before = await settled();
      const n = plan.storageStreams;
      await runConcurrent(LATENCY_CONCURRENCY, { count: n, ms: 30_000 }, async () => {
        st.sent++;
        const x = await exchange(st.pool, SPECS[w]);
        if (!x.ok) noteError(st, `storage (${w})`, x.error);
      });
      const d = delta(before, await settled());
      return { streams: n, rowBytesPerStream: d.rowBytes === null ? null : d.rowBytes / n, fileBytesPerStream: d.fileBytes / n, byObject: perStream(d, n) };
    };
    log('storage: 20-chunk and 200-chunk streams…');
    raw.storage.stream20 = await streamStorage('latency');
    raw.storage.stream200 = await streamStorage('throughput');

    log(`agent session: ${plan.sessionTurns} turns growing to ${(SESSION_FINAL_BYTES / 1000).toFixed(0)} KB…`);
    raw.session = await agentSession(st, plan.sessionTurns, settled, (e) => noteError(st, 'session', e));

    // ---- the rounds --------------------------------------------------------------------
    for (let round = 0; round < plan.rounds; round++) {
      if (overTime()) {
        raw.notes.push(`stopped after ${round} of ${plan.rounds} rounds: the run reached its time limit`);
        break;
      }
      // Rotate which side goes first, so drift over a round favours none of them.
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      const result: RoundResult = { latency: {}, throughput: {}, nonstream: {} };
      for (const s of order) result.latency[s.name] = await measured(s, () => latency(s, plan.latencyStreamsPerWorker));
      for (const s of order) {
        sampling = s.name;
        result.throughput[s.name] = await measured(s, () => rate(s, 'throughput', plan.throughputMs));
        sampling = null;
      }
      for (const s of order) result.nonstream[s.name] = await measured(s, () => rate(s, 'nonstream', plan.nonstreamMs));
      raw.rounds.push(result);
      log(`round ${round + 1}/${plan.rounds} done`);
    }
    clearInterval(sampler);

    await settleIdle(allPids());
    for (const s of sides) {
      const m = raw.memory[s.name];
      if (!m) continue;
      m.idleAfterMb = rssOf(s);
      m.throughputPeakMb = throughputPeak[s.name] ?? null;
      m.peakMb = s.pids().reduce((a, pid) => a + (memoryMb(pid)?.peak ?? 0), 0);
    }
    raw.errors = [...errorSamples];

    // ---- records: every request through the recording Streamtap is in its database ----
    for (const p of pools.splice(0)) await p.close();
    reader.close();
    reader = null;
    await stopProcess(rec.proc.child);
    const store = openStore({ path: rec.db });
    try {
      const byOutcome: Record<string, number> = {};
      for (const o of ['completed', 'client_aborted', 'upstream_error', 'upstream_disconnected', 'upstream_unreachable', 'timeout', 'interrupted', 'in_progress'] as const) {
        const c = store.count({ outcome: [o] });
        if (c) byOutcome[o] = c;
      }
      const recorded = store.count({});
      raw.records = { sent: st.sent, recorded, completed: byOutcome['completed'] ?? 0, lost: Math.max(0, st.sent - recorded), byOutcome };
    } finally {
      store.close();
    }
    return raw;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reader?.close();
    for (const p of pools) await p.close().catch(() => undefined);
    await Promise.all([recording && stopProcess(recording.proc.child), paused && stopProcess(paused.proc.child), nginx?.stop(), upstream && stopProcess(upstream.child)]);
    // A start that failed half way (one Streamtap refused to start) leaves the others
    // unassigned above: stop them too, so a failed run never leaves processes behind.
    if (!nginx && nginxStart) {
      const n = await nginxStart.catch(() => null);
      if (n && typeof n !== 'string') await n.stop();
    }
    abandonStarted();
    fs.rmSync(dir, { recursive: true, force: true });
    raw.durationS = Math.round((performance.now() - t0) / 100) / 10;
  }
}

function perStream(d: StorageDelta, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(d.byObject).map(([k, v]) => [k, Math.round(v / n)]));
}

/** The agent session, turn by turn, through the recording Streamtap; the database is
 * measured after each turn has settled. */
async function agentSession(st: Side, turns: number, settled: () => Promise<StorageSnapshot>, noteError: (e: string | null) => void): Promise<SessionResult> {
  const session = new AgentSession(7, turns);
  const start = await settled();
  let prev = start;
  let bytesSent = 0;
  let errors = 0;
  let firstBodyBytes = 0;
  let lastBodyBytes = 0;
  const perTurn: SessionResult['perTurn'] = [];
  for (let turn = 0; !session.done && turn < turns; turn++) {
    const body = session.next();
    const bytes = Buffer.byteLength(body);
    if (turn === 0) firstBodyBytes = bytes;
    lastBodyBytes = bytes;
    bytesSent += bytes;
    st.sent++;
    const x = await exchange(st.pool, {
      path: '/v1/messages?beta=true',
      headers: { ...session.headers(), [WORKLOAD_HEADER]: 'session', [TURN_HEADER]: String(turn) },
      body,
      endsWith: '{"type":"message_stop"}',
    });
    if (!x.ok) {
      errors++;
      noteError(x.error);
    }
    const now = await settled();
    const d = delta(prev, now);
    perTurn.push({ bodyBytes: bytes, rowBytes: d.rowBytes, fileBytes: d.fileBytes });
    prev = now;
  }
  const total = delta(start, prev);
  const done = perTurn.length;
  return {
    turns: done,
    errors,
    bytesSent,
    firstBodyBytes,
    lastBodyBytes,
    rowBytes: total.rowBytes,
    fileBytes: total.fileBytes,
    rowBytesPerTurn: total.rowBytes === null ? null : total.rowBytes / done,
    fileBytesPerTurn: total.fileBytes / done,
    storedRatio: total.rowBytes === null ? null : total.rowBytes / bytesSent,
    fileRatio: total.fileBytes / bytesSent,
    perTurn,
    lateTurnRowBytes: lateTurnRowBytes(perTurn),
    byObject: total.byObject,
  };
}

export function lateTurnRowBytes(perTurn: SessionResult['perTurn']): number | null {
  const late = perTurn.slice(-LATE_TURNS).map((t) => t.rowBytes);
  return late.length === 0 || late.some((b) => b === null) ? null : median(late as number[]);
}

// ---- figures ----------------------------------------------------------------------------

export interface SideFigures {
  latency: { ttftP50Ms: number; ttftP99Ms: number; gapP99Ms: number; streams: number; errors: number; cpuMsPerStream: number | null; threadMsPerStream: number | null; perRound: { ttftP50Ms: number; ttftP99Ms: number; gapP99Ms: number }[] } | null;
  throughput: { streamsPerS: number; mbPerS: number; streams: number; errors: number; cpuMsPerStream: number | null; threadMsPerStream: number | null; perRound: { streamsPerS: number; cpuMsPerStream: number | null }[] } | null;
  nonstream: { requestsPerS: number; requests: number; errors: number; cpuMsPerRequest: number | null; threadMsPerRequest: number | null; perRound: { requestsPerS: number; cpuMsPerRequest: number | null }[] } | null;
}

export interface Compared {
  /** through this side minus direct, from all rounds' samples pooled */
  addedTtftP50Ms: number;
  addedTtftP99Ms: number;
  addedGapP99Ms: number;
  /** the same per round */
  perRound: { addedTtftP50Ms: number; addedTtftP99Ms: number; addedGapP99Ms: number; throughputRatio: number; nonstreamRatio: number }[];
  /** the median of the per-round ratios to direct (each round's sides ran back to back) */
  throughputRatio: number;
  nonstreamRatio: number;
}

const per = (ms: number | null, n: number) => (ms === null || n === 0 ? null : ms / n);
const sum = (xs: number[]) => xs.reduce((a, v) => a + v, 0);

export function sideFigures(raw: TrafficRaw, s: SideName): SideFigures {
  const lat = raw.rounds.map((r) => r.latency[s]).filter((x): x is LatencyRun => x !== undefined);
  const thr = raw.rounds.map((r) => r.throughput[s]).filter((x): x is RateRun => x !== undefined);
  const non = raw.rounds.map((r) => r.nonstream[s]).filter((x): x is RateRun => x !== undefined);
  const cpuTotal = (xs: { cpu: CpuWindow }[], pick: (c: CpuWindow) => number | null = (c) => c.proxyMs) =>
    xs.some((x) => pick(x.cpu) === null) ? null : sum(xs.map((x) => pick(x.cpu)!));
  const onThread = (c: CpuWindow) => c.proxyThreadMs;
  return {
    latency: lat.length
      ? {
          ttftP50Ms: quantile(lat.flatMap((l) => l.ttft), 0.5),
          ttftP99Ms: quantile(lat.flatMap((l) => l.ttft), 0.99),
          gapP99Ms: quantile(lat.flatMap((l) => l.gaps), 0.99),
          streams: sum(lat.map((l) => l.streams)),
          errors: sum(lat.map((l) => l.errors)),
          cpuMsPerStream: per(cpuTotal(lat), sum(lat.map((l) => l.streams))),
          threadMsPerStream: per(cpuTotal(lat, onThread), sum(lat.map((l) => l.streams))),
          perRound: lat.map((l) => ({ ttftP50Ms: quantile(l.ttft, 0.5), ttftP99Ms: quantile(l.ttft, 0.99), gapP99Ms: quantile(l.gaps, 0.99) })),
        }
      : null,
    throughput: thr.length
      ? {
          streamsPerS: median(thr.map((t) => t.count / (t.wallMs / 1000))),
          mbPerS: median(thr.map((t) => t.bytes / 1e6 / (t.wallMs / 1000))),
          streams: sum(thr.map((t) => t.count)),
          errors: sum(thr.map((t) => t.errors)),
          cpuMsPerStream: per(cpuTotal(thr), sum(thr.map((t) => t.count))),
          threadMsPerStream: per(cpuTotal(thr, onThread), sum(thr.map((t) => t.count))),
          perRound: thr.map((t) => ({ streamsPerS: t.count / (t.wallMs / 1000), cpuMsPerStream: per(t.cpu.proxyMs, t.count) })),
        }
      : null,
    nonstream: non.length
      ? {
          requestsPerS: median(non.map((t) => t.count / (t.wallMs / 1000))),
          requests: sum(non.map((t) => t.count)),
          errors: sum(non.map((t) => t.errors)),
          cpuMsPerRequest: per(cpuTotal(non), sum(non.map((t) => t.count))),
          threadMsPerRequest: per(cpuTotal(non, onThread), sum(non.map((t) => t.count))),
          perRound: non.map((t) => ({ requestsPerS: t.count / (t.wallMs / 1000), cpuMsPerRequest: per(t.cpu.proxyMs, t.count) })),
        }
      : null,
  };
}

export function compareToDirect(raw: TrafficRaw, s: SideName): Compared {
  const pooled = (side: SideName, pick: (l: LatencyRun) => number[]) => raw.rounds.flatMap((r) => (r.latency[side] ? pick(r.latency[side]) : []));
  const ratio = (a: RateRun | undefined, d: RateRun | undefined) => (a && d ? a.count / a.wallMs / (d.count / d.wallMs) : NaN);
  const perRound = raw.rounds.map((r) => {
    const l = r.latency[s];
    const d = r.latency.direct;
    return {
      addedTtftP50Ms: l && d ? quantile(l.ttft, 0.5) - quantile(d.ttft, 0.5) : NaN,
      addedTtftP99Ms: l && d ? quantile(l.ttft, 0.99) - quantile(d.ttft, 0.99) : NaN,
      addedGapP99Ms: l && d ? quantile(l.gaps, 0.99) - quantile(d.gaps, 0.99) : NaN,
      throughputRatio: ratio(r.throughput[s], r.throughput.direct),
      nonstreamRatio: ratio(r.nonstream[s], r.nonstream.direct),
    };
  });
  return {
    addedTtftP50Ms: quantile(pooled(s, (l) => l.ttft), 0.5) - quantile(pooled('direct', (l) => l.ttft), 0.5),
    addedTtftP99Ms: quantile(pooled(s, (l) => l.ttft), 0.99) - quantile(pooled('direct', (l) => l.ttft), 0.99),
    addedGapP99Ms: quantile(pooled(s, (l) => l.gaps), 0.99) - quantile(pooled('direct', (l) => l.gaps), 0.99),
    perRound,
    throughputRatio: median(perRound.map((p) => p.throughputRatio)),
    nonstreamRatio: median(perRound.map((p) => p.nonstreamRatio)),
  };
}

export function othersCores(raw: TrafficRaw): number[] {
  return raw.rounds.map((r) => {
    const xs = [...Object.values(r.latency), ...Object.values(r.throughput), ...Object.values(r.nonstream)].map((x) => x.cpu.othersCores).filter((v): v is number => v !== null);
    return xs.length ? median(xs) : NaN;
  });
}

export { spread };

export const WORKLOAD_TEXT = {
  latency: `${LATENCY_CONCURRENCY} concurrent streams, ${LATENCY_CHUNKS} one-word chunks ${LATENCY_CHUNK_GAP_MS} ms apart`,
  throughput: `${THROUGHPUT_CONCURRENCY} concurrent streams, ${THROUGHPUT_CHUNKS} chunks of ${THROUGHPUT_CHUNK_BYTES} B written back to back`,
  nonstream: `${NONSTREAM_CONCURRENCY} concurrent requests, ${NONSTREAM_WORDS}-word answers`,
  session: `turns that each re-send the whole conversation, growing to ${SESSION_FINAL_BYTES / 1000} KB`,
};

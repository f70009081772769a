// The benchmark's results: the figures from the raw measurements, each target met or
// not, the JSON written to test-results/, and the table printed for a reader.

import {
  LATE_TURNS,
  SIDE_LABELS,
  WORKLOAD_TEXT,
  compareToDirect,
  othersCores,
  sideFigures,
  spread,
  type Compared,
  type SideFigures,
  type SideName,
  type TrafficRaw,
} from './traffic.js';
import { SESSION_TURNS } from './workloads.js';

export interface Target {
  id: string;
  label: string;
  /** null when it could not be measured in this run */
  value: number | null;
  unit: string;
  op: '<=' | '<' | '>=' | '==';
  limit: number;
  met: boolean | null;
  /** the spread over rounds, where there are rounds */
  rounds?: { min: number; max: number };
}

export function target(id: string, label: string, value: number | null, unit: string, op: Target['op'], limit: number, rounds?: number[]): Target {
  const ok = value === null || !Number.isFinite(value) ? null : op === '<=' ? value <= limit : op === '<' ? value < limit : op === '>=' ? value >= limit : value === limit;
  return { id, label, value: value !== null && Number.isFinite(value) ? value : null, unit, op, limit, met: ok, ...(rounds && rounds.length > 1 ? { rounds: spread(rounds) } : {}) };
}

export interface TrafficReport {
  kind: 'traffic';
  version: 2;
  mode: TrafficRaw['plan']['mode'];
  startedAt: string;
  durationS: number;
  machine: TrafficRaw['machine'] & { othersCoresPerRound: number[] };
  plan: TrafficRaw['plan'];
  workloads: typeof WORKLOAD_TEXT;
  sides: { name: SideName; label: string; figures: SideFigures; vsDirect: Compared | null }[];
  storage: TrafficRaw['storage'];
  session: TrafficRaw['session'];
  memory: TrafficRaw['memory'];
  warmup: TrafficRaw['warmup'];
  records: TrafficRaw['records'];
  targets: Target[];
  errors: string[];
  notes: string[];
}

export function trafficReport(raw: TrafficRaw): TrafficReport {
  const sides = raw.sides.map((name) => ({ name, label: SIDE_LABELS[name], figures: sideFigures(raw, name), vsDirect: name === 'direct' ? null : compareToDirect(raw, name) }));
  const st = sides.find((s) => s.name === 'streamtap');
  const c = st?.vsDirect ?? null;
  const f = st?.figures ?? null;
  const mem = raw.memory.streamtap;
  const rounds = (pick: (p: Compared['perRound'][number]) => number) => c?.perRound.map(pick) ?? [];
  const targets: Target[] = [
    target('addedTtftP50', 'added TTFT p50', c?.addedTtftP50Ms ?? null, 'ms', '<=', 0.3, rounds((p) => p.addedTtftP50Ms)),
    target('addedTtftP99', 'added TTFT p99', c?.addedTtftP99Ms ?? null, 'ms', '<=', 1.5, rounds((p) => p.addedTtftP99Ms)),
    target('addedGapP99', 'added chunk-gap p99', c?.addedGapP99Ms ?? null, 'ms', '<=', 1, rounds((p) => p.addedGapP99Ms)),
    target('streamingThroughput', 'streaming throughput', c?.throughputRatio ?? null, '× direct', '>=', 0.8, rounds((p) => p.throughputRatio)),
    target('nonStreaming', 'non-streaming requests/s', c?.nonstreamRatio ?? null, '× direct', '>=', 0.5, rounds((p) => p.nonstreamRatio)),
    target('cpuPerStream200', 'CPU per 200-chunk stream', f?.throughput?.cpuMsPerStream ?? null, 'ms', '<=', 1.0, f?.throughput?.perRound.map((p) => p.cpuMsPerStream ?? NaN)),
    target('recordsLost', 'records lost', raw.records?.lost ?? null, '', '==', 0),
    target('idleRss', 'idle RSS', mem?.idleMb ?? null, 'MB', '<', 120),
    target('throughputRss', 'RSS under throughput', mem?.throughputPeakMb ?? null, 'MB', '<', 250),
    target('sessionStored', `${raw.session?.turns ?? SESSION_TURNS}-turn session stores`, raw.session?.storedRatio ?? raw.session?.fileRatio ?? null, '× bytes sent', '<=', 0.15),
    target('stream200Rows', '200-chunk stream rows', raw.storage.stream200 ? (raw.storage.stream200.rowBytesPerStream ?? raw.storage.stream200.fileBytesPerStream) / 1000 : null, 'KB', '<=', 8),
  ];
  return {
    kind: 'traffic',
    version: 2,
    mode: raw.plan.mode,
    startedAt: raw.startedAt,
    durationS: raw.durationS,
    machine: { ...raw.machine, othersCoresPerRound: othersCores(raw).map((v) => round(v, 2)) },
    plan: raw.plan,
    workloads: WORKLOAD_TEXT,
    sides,
    storage: raw.storage,
    session: raw.session,
    memory: raw.memory,
    warmup: raw.warmup,
    records: raw.records,
    targets,
    errors: raw.errors,
    notes: [...new Set(raw.notes)],
  };
}

// ---- printing ----------------------------------------------------------------------------

function round(v: number, d: number): number {
  return Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : NaN;
}

export function fmt(v: number | null | undefined, digits = 2, signed = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return signed && v >= 0 ? `+${s}` : s;
}

const kb = (bytes: number | null | undefined, d = 1) => (bytes === null || bytes === undefined ? '—' : `${fmt(bytes / 1000, d)} KB`);

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd()).join('\n');
}

export function verdict(t: Target): string {
  return t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met';
}

export function targetRows(targets: Target[], signedIds: string[] = []): string {
  const digits = (t: Target) => (t.unit === 'MB' || t.id === 'recordsLost' ? 0 : t.unit === 'KB' ? 1 : 2);
  const op = (t: Target) => (t.op === '==' ? '=' : t.op === '<=' ? '≤' : t.op === '>=' ? '≥' : '<');
  const withRounds = targets.some((t) => t.rounds);
  return table([
    ['target', 'measured', ...(withRounds ? ['over rounds'] : []), 'wanted', ''],
    ...targets.map((t) => {
      const signed = signedIds.includes(t.id);
      const rounds = t.rounds ? `${fmt(t.rounds.min, digits(t), signed)} … ${fmt(t.rounds.max, digits(t), signed)}` : '';
      return [t.label, `${fmt(t.value, digits(t), signed)} ${t.unit}`.trim(), ...(withRounds ? [rounds] : []), `${op(t)} ${t.limit} ${t.unit}`.trim(), verdict(t)];
    }),
  ]);
}

export function printTraffic(r: TrafficReport): string {
  const names = r.sides.map((s) => s.name);
  const head = ['', ...r.sides.map((s) => s.label)];
  const row = (label: string, pick: (s: TrafficReport['sides'][number]) => string) => [label, ...r.sides.map(pick)];
  const out: string[] = [];
  const others = r.machine.othersCoresPerRound.map((v) => fmt(v, 1)).join(' / ');
  out.push(`Streamtap benchmark — ${r.mode}, ${r.plan.rounds} round${r.plan.rounds === 1 ? '' : 's'}, the sides alternating within each round (${r.durationS} s)`);
  out.push(`machine: ${r.machine.cpus} cores, Node ${r.machine.node}, nginx ${r.machine.nginx ?? 'absent'}; load at start ${r.machine.loadAvgAtStart.join(' ')}; other programs kept ${others} cores busy (per round)`);
  out.push('');
  out.push(`latency — ${r.workloads.latency}`);
  out.push(
    table([
      head,
      row('TTFT p50 (ms)', (s) => fmt(s.figures.latency?.ttftP50Ms)),
      row('TTFT p99 (ms)', (s) => fmt(s.figures.latency?.ttftP99Ms)),
      row('chunk gap p99 (ms)', (s) => fmt(s.figures.latency?.gapP99Ms)),
      row('added TTFT p50 (ms)', (s) => (s.vsDirect ? fmt(s.vsDirect.addedTtftP50Ms, 2, true) : '')),
      row('added TTFT p99 (ms)', (s) => (s.vsDirect ? fmt(s.vsDirect.addedTtftP99Ms, 2, true) : '')),
      row('added chunk gap p99 (ms)', (s) => (s.vsDirect ? fmt(s.vsDirect.addedGapP99Ms, 2, true) : '')),
      row('CPU per stream (ms)', (s) => fmt(s.figures.latency?.cpuMsPerStream)),
      row('  of it the proxy thread\'s', (s) => fmt(s.figures.latency?.threadMsPerStream)),
      row('streams (errors)', (s) => `${s.figures.latency?.streams ?? 0} (${s.figures.latency?.errors ?? 0})`),
    ]),
  );
  const ratioCell = (c: Compared | null, pick: (p: Compared['perRound'][number]) => number, v: number | undefined) => {
    if (!c) return '';
    const sp = spread(c.perRound.map(pick));
    return c.perRound.length > 1 ? `${fmt(v)} (${fmt(sp.min)}–${fmt(sp.max)})` : fmt(v);
  };
  out.push('');
  out.push(`throughput — ${r.workloads.throughput}`);
  out.push(
    table([
      head,
      row('streams/s', (s) => fmt(s.figures.throughput?.streamsPerS, 0)),
      row('MB/s to the client', (s) => fmt(s.figures.throughput?.mbPerS, 1)),
      row('× direct (rounds)', (s) => ratioCell(s.vsDirect, (p) => p.throughputRatio, s.vsDirect?.throughputRatio)),
      row('CPU per stream (ms)', (s) => fmt(s.figures.throughput?.cpuMsPerStream)),
      row('  of it the proxy thread\'s', (s) => fmt(s.figures.throughput?.threadMsPerStream)),
      row('streams (errors)', (s) => `${s.figures.throughput?.streams ?? 0} (${s.figures.throughput?.errors ?? 0})`),
    ]),
  );
  out.push('');
  out.push(`non-stream — ${r.workloads.nonstream}`);
  out.push(
    table([
      head,
      row('requests/s', (s) => fmt(s.figures.nonstream?.requestsPerS, 0)),
      row('× direct (rounds)', (s) => ratioCell(s.vsDirect, (p) => p.nonstreamRatio, s.vsDirect?.nonstreamRatio)),
      row('CPU per request (ms)', (s) => fmt(s.figures.nonstream?.cpuMsPerRequest, 3)),
      row('  of it the proxy thread\'s', (s) => fmt(s.figures.nonstream?.threadMsPerRequest, 3)),
      row('requests (errors)', (s) => `${s.figures.nonstream?.requests ?? 0} (${s.figures.nonstream?.errors ?? 0})`),
    ]),
  );
  const warmSides = names.filter((n) => r.warmup[n]);
  if (warmSides.length > 0) {
    const cells = (xs: (number | null)[], d: number) => xs.map((v) => fmt(v, d)).join(' → ');
    out.push('');
    out.push(`warm-up — CPU per request (ms) in successive windows of ${r.plan.warmupWindowRequests} requests, before the rounds (the JIT compiling the hot code)`);
    out.push(
      table([
        ['', ...warmSides.map((n) => SIDE_LABELS[n])],
        ['throughput', ...warmSides.map((n) => cells(r.warmup[n]!.throughputCpuMs, 2))],
        ['non-stream', ...warmSides.map((n) => cells(r.warmup[n]!.nonstreamCpuMs, 3))],
      ]),
    );
  }
  out.push('');
  out.push('memory — resident set of the proxy process (MB)');
  const memSides = names.filter((n) => r.memory[n]);
  out.push(
    table([
      ['', ...memSides.map((n) => SIDE_LABELS[n])],
      ['idle, just started', ...memSides.map((n) => fmt(r.memory[n]!.idleStartMb, 0))],
      ['idle, after the warm-up', ...memSides.map((n) => fmt(r.memory[n]!.idleMb, 0))],
      ['peak under throughput', ...memSides.map((n) => fmt(r.memory[n]!.throughputPeakMb, 0))],
      ['peak of the run (VmHWM)', ...memSides.map((n) => fmt(r.memory[n]!.peakMb, 0))],
      ['idle, after the run', ...memSides.map((n) => fmt(r.memory[n]!.idleAfterMb, 0))],
    ]),
  );
  out.push('');
  out.push(`storage — what Streamtap's database grows by (rows: payload of every table and index${r.storage.dbstat ? ', from dbstat' : ', not measured: no dbstat'}; pages: pages in use)`);
  const s20 = r.storage.stream20;
  const s200 = r.storage.stream200;
  const ses = r.session;
  out.push(
    table([
      ['', 'rows', 'pages'],
      [`per 20-chunk stream (${s20?.streams ?? 0})`, kb(s20?.rowBytesPerStream), kb(s20?.fileBytesPerStream)],
      [`per 200-chunk stream (${s200?.streams ?? 0})`, kb(s200?.rowBytesPerStream), kb(s200?.fileBytesPerStream)],
    ]),
  );
  if (ses) {
    out.push('');
    out.push(`agent session — ${ses.turns} ${r.workloads.session}`);
    out.push(
      table([
        ['', 'bytes', '× bytes sent'],
        [`sent by the tool (first turn ${kb(ses.firstBodyBytes, 0)}, last ${kb(ses.lastBodyBytes, 0)})`, kb(ses.bytesSent, 0), ''],
        ['stored, rows', kb(ses.rowBytes, 0), fmt(ses.storedRatio)],
        ['stored, pages', kb(ses.fileBytes, 0), fmt(ses.fileRatio)],
        ['rows per turn (mean)', kb(ses.rowBytesPerTurn), ''],
        [`rows per turn, median of the last ${Math.min(LATE_TURNS, ses.turns)}`, kb(ses.lateTurnRowBytes), ''],
      ]),
    );
    if (ses.errors) out.push(`  ${ses.errors} turns failed`);
  }
  out.push('');
  const rec = r.records;
  out.push(
    rec
      ? `records — ${rec.sent} requests sent through Streamtap, ${rec.recorded} recorded (${Object.entries(rec.byOutcome).map(([o, n]) => `${n} ${o}`).join(', ')}), ${rec.lost} lost`
      : 'records — not counted (the run stopped early)',
  );
  out.push('');
  out.push('targets — Streamtap, recording everything');
  out.push(targetRows(r.targets, ['addedTtftP50', 'addedTtftP99', 'addedGapP99']));
  if (r.errors.length) {
    out.push('');
    out.push('errors (first few):');
    for (const e of r.errors) out.push(`  ${e}`);
  }
  if (r.notes.length) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${n}`);
  }
  return out.join('\n') + '\n';
}

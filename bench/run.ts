// `npm run bench`: what Streamtap costs the people who use it, measured the way they
// use it — many streams at once on a busy machine. The same workloads go direct to a
// fake provider, through Streamtap (recording everything), through Streamtap with
// recording paused and through nginx, the sides alternating within each round; each
// figure is printed beside its target, met or not, and written as JSON.
//
//   npm run bench                     3 rounds of every workload (a few minutes)
//   npm run bench -- --quick          one short round of each (20-50 s on the busy 2-core machine): proves the bench runs
//   npm run bench -- --rounds N
//   npm run bench -- --scale 1000000  build a database of that many records and time the
//                                     dashboard's queries on it (--db FILE keeps it for reuse;
//                                     with --quick each query runs twice rather than five times)
//   --out FILE                        where the JSON goes (default test-results/bench.json,
//                                     bench-quick.json with --quick, bench-scale.json with --scale)
//
// See bench/traffic.ts for the workloads and bench/scale.ts for the database of a heavy user.

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ROOT } from './procs.js';
import { printTraffic, trafficReport } from './report.js';
import { FULL_PLAN, QUICK_PLAN, runTraffic } from './traffic.js';

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) fail(`${flag} expects a positive whole number, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      scale: { type: 'string' },
      db: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`bench: ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${line}\n`);
  const write = (file: string, json: unknown) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
    log(`results written to ${path.relative(process.cwd(), file) || file}`);
  };

  const scale = positiveInt(values.scale, '--scale');
  if (scale !== undefined) {
    if (values.rounds) fail('--rounds does not apply to --scale');
    // Loaded only here: it pulls in the whole core, which the traffic run does not need.
    const { printScale, runScale } = await import('./scale.js');
    const report = await runScale({ records: scale, ...(values.db ? { db: path.resolve(values.db) } : {}), quick: values.quick === true }, log);
    process.stdout.write(printScale(report));
    write(path.resolve(values.out ?? path.join(ROOT, 'test-results', 'bench-scale.json')), report);
    return;
  }
  if (values.db) fail('--db applies to --scale only');

  const base = values.quick ? QUICK_PLAN : FULL_PLAN;
  const plan = { ...base, rounds: positiveInt(values.rounds, '--rounds') ?? base.rounds };
  const raw = await runTraffic(plan, log);
  const report = trafficReport(raw);
  process.stdout.write(printTraffic(report));
  write(path.resolve(values.out ?? path.join(ROOT, 'test-results', values.quick ? 'bench-quick.json' : 'bench.json')), report);
  // Missed targets are results, not failures; failed requests or uncounted records mean
  // the measurement itself is broken.
  if (report.errors.length > 0 || report.records === null) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

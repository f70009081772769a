#!/usr/bin/env node
// `npm test`: the whole suite, in the order a failure is cheapest to read —
// type-check (node side, renderer), lint, the CLI's build, unit + integration tests
// (vitest), a quick run of the benchmark (both run that build, as `npm run streamtap`
// does), the renderer/Electron build, the packed package installed and run as the
// `streamtap` command (scripts/pack-check.mjs), then end-to-end tests (Playwright in
// Debian's Chromium, plus the real-Electron smoke test where the binary exists). Ends
// with one line: "N passed, N failed, N skipped".
//   --quick   skip the Electron build, the package check and the end-to-end tests

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const quick = process.argv.includes('--quick');
const root = path.resolve(import.meta.dirname, '..');
const resultsDir = path.join(root, 'test-results');
fs.mkdirSync(resultsDir, { recursive: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function run(label, cmd, args, env = {}) {
  process.stdout.write(`\n── ${label}: ${cmd} ${args.join(' ')}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  process.stdout.write(`── ${label}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return ok;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    failures.push(label);
  }
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

check('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);
check('typecheck (renderer)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']);
check('lint', bin('eslint'), ['.']);

// The CLI as users run it (package.json's "streamtap" script and "bin"): the tests that
// go through `npm run streamtap` and the benchmark run this build.
const cliBuilt = run('build (cli)', process.execPath, ['scripts/build-cli.mjs']);
if (cliBuilt) passed++;
else {
  failed++;
  failures.push('build (cli)');
}

// vitest: count its tests, not just its exit code.
const vitestJson = path.join(resultsDir, 'vitest.json');
fs.rmSync(vitestJson, { force: true });
const vitestOk = run('unit + integration tests', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (fs.existsSync(vitestJson)) {
  const r = JSON.parse(fs.readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A suite that failed to load has no failed *tests*; count it as a failure.
  const broken = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0);
  failed += broken.length;
  for (const f of broken) failures.push(`vitest: ${path.relative(root, f.name)} failed to run`);
  if ((r.numFailedTests ?? 0) > 0) failures.push('vitest');
} else if (!vitestOk) {
  failed++;
  failures.push('vitest (no report)');
}

// The benchmark still runs end to end: one check that `npm run bench -- --quick`
// completes and writes its JSON report. Its figures are not judged here — they depend
// on the machine and on whatever else it is running.
const benchJson = path.join(resultsDir, 'bench-quick.json');
fs.rmSync(benchJson, { force: true });
let benchValid = false;
if (run('benchmark (quick)', bin('tsx'), ['bench/run.ts', '--quick', '--out', benchJson]) && fs.existsSync(benchJson)) {
  try {
    const r = JSON.parse(fs.readFileSync(benchJson, 'utf8'));
    benchValid = r.kind === 'traffic' && Array.isArray(r.sides) && r.sides.length >= 2 && Array.isArray(r.targets) && r.targets.length > 0 && r.records !== null;
  } catch {
    benchValid = false;
  }
}
if (benchValid) passed++;
else {
  failed++;
  failures.push('benchmark (quick)');
}

if (!quick) {
  const built = run('build (electron-vite)', bin('electron-vite'), ['build']);
  if (built) passed++;
  else {
    failed++;
    failures.push('build');
  }
  // The package a user installs: packed, installed into a temporary prefix, and its
  // `streamtap` command run (serve, one request, export, sessions, tail).
  if (built && cliBuilt) check('package (npm pack, npm install -g, streamtap)', process.execPath, ['scripts/pack-check.mjs']);
  if (built) {
    const pwJson = path.join(resultsDir, 'playwright.json');
    fs.rmSync(pwJson, { force: true });
    const pwOk = run('end-to-end tests', bin('playwright'), ['test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
    if (fs.existsSync(pwJson)) {
      const r = JSON.parse(fs.readFileSync(pwJson, 'utf8'));
      const s = r.stats ?? {};
      passed += (s.expected ?? 0) + (s.flaky ?? 0);
      failed += s.unexpected ?? 0;
      skipped += s.skipped ?? 0;
      if ((s.unexpected ?? 0) > 0) failures.push('playwright');
      if (!pwOk && (s.unexpected ?? 0) === 0) {
        failed++;
        failures.push('playwright (run failed)');
      }
    } else if (!pwOk) {
      failed++;
      failures.push('playwright (no report)');
    }
  }
}

if (failures.length) process.stdout.write(`\nfailed: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 ? 1 : 0);

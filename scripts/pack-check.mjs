#!/usr/bin/env node
// `node scripts/pack-check.mjs`: proves the published package works as a command. After
// `npm run build` it packs the package (`npm pack`), installs the tarball into a
// temporary prefix (`npm install -g --prefix`), and runs the installed `streamtap`
// outside the repository: `serve` on a free port with a temporary database and settings
// file, one streamed request through it to a fake upstream on 127.0.0.1, then `export`,
// `sessions` and `tail` against that database. Exits non-zero with one line on failure.
//
// better-sqlite3 is installed by its own install script, as on a user's machine; the
// prebuilt binary it would download from GitHub is handed to it from this checkout's
// build instead (prebuild-install's "local prebuilds"), so the check talks to nothing but
// the npm registry (and its cache: --prefer-offline) and 127.0.0.1.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const started = Date.now();
const STEP_TIMEOUT_MS = 120_000;
const keep = process.argv.includes('--keep');

class CheckFailed extends Error {}

function fail(message) {
  throw new CheckFailed(message);
}

function step(label) {
  process.stdout.write(`pack-check: ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

/** Runs a command to completion; its stdout, or a failure naming it. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    fail(`${path.basename(cmd)} ${args.join(' ')} exited ${r.status ?? r.signal ?? r.error?.message}\n${r.stderr ?? ''}${r.stdout ?? ''}`.trim());
  }
  return r.stdout;
}

if (process.platform === 'win32') {
  // The check drives the POSIX link npm makes (bin/streamtap); CI runs on Linux.
  process.stdout.write('pack-check: skipped on Windows\n');
  process.exit(0);
}
for (const built of ['out/cli/streamtap.js', 'out/cli/migrations/meta/_journal.json', 'out/renderer/index.html']) {
  if (!fs.existsSync(path.join(root, built))) {
    process.stderr.write(`pack-check: ${built} is missing: run "npm run build" first\n`);
    process.exit(1);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-pack-'));
const npm = process.env['npm_execpath'] && process.env['npm_execpath'].endsWith('.js') ? [process.execPath, process.env['npm_execpath']] : ['npm'];
const npmRun = (args, opts) => run(npm[0], [...npm.slice(1), ...args], opts);
let server = null;
let fake = null;

try {
  // 1. The tarball, and what is in it.
  // --ignore-scripts: the build was checked above; prepack would build it again (and
  // print into the JSON).
  const packed = JSON.parse(npmRun(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: root }))[0];
  const files = new Set(packed.files.map((f) => f.path));
  for (const need of ['package.json', 'out/cli/streamtap.js', 'out/cli/migrations/meta/_journal.json', 'out/renderer/index.html', 'schema/export.schema.json', 'README.md']) {
    if (!files.has(need)) fail(`the tarball lacks ${need}`);
  }
  const stray = [...files].filter((f) => /^(src-main|src-renderer|test|bench|node_modules|\.native)\//.test(f));
  if (stray.length) fail(`the tarball carries what it must not: ${stray.slice(0, 5).join(', ')}`);
  const tarball = path.join(tmp, packed.filename);
  step(`packed ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB`);

  // 2. better-sqlite3's prebuilt binary, where its install script looks first.
  const sqliteDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const sqlitePkg = JSON.parse(fs.readFileSync(path.join(sqliteDir, 'package.json'), 'utf8'));
  const fromSqlite = createRequire(path.join(sqliteDir, 'package.json'));
  const prebuild = fromSqlite('prebuild-install/util');
  const rc = fromSqlite('prebuild-install/rc')(sqlitePkg);
  const prebuildName = path.basename(prebuild.getDownloadUrl({ ...rc, pkg: sqlitePkg }));
  const prebuilds = path.join(tmp, 'prebuilds');
  fs.mkdirSync(prebuilds);
  run('tar', ['-czf', path.join(prebuilds, prebuildName), '-C', sqliteDir, 'build/Release/better_sqlite3.node']);

  // 3. The global install, into a prefix of its own.
  const prefix = path.join(tmp, 'prefix');
  npmRun(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], {
    cwd: tmp,
    env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
  });
  const bin = path.join(prefix, 'bin', 'streamtap');
  if (!fs.existsSync(bin)) fail(`npm install -g did not link ${bin}`);
  step('installed with npm install -g');

  // The installed command, from a folder that is not the repository, with nothing of
  // the user's: its own data folder, database and settings file.
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STREAMTAP_') && !k.startsWith('npm_')) env[k] = v;
  env['STREAMTAP_DATA_DIR'] = path.join(home, 'data');
  env['PATH'] = `${path.join(prefix, 'bin')}${path.delimiter}${process.env['PATH'] ?? ''}`;
  const streamtap = (args) => run('streamtap', args, { cwd: home, env });
  fs.writeFileSync(path.join(home, 'settings.json'), '{}\n');
  if (!streamtap(['help']).startsWith('usage: streamtap')) fail('"streamtap help" did not print the usage');

  // 4. A fake provider on 127.0.0.1: one streamed chat completion.
  fake = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-pack', object: 'chat.completion.chunk', created: 1, model: 'gpt-5', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'packed ' }, null));
      res.write(chunk({ content: 'and installed' }, null));
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${fake.address().port}`;

  // 5. serve: the listening and dashboard lines, the dashboard page, one request.
  server = spawn('streamtap', ['serve', '--port', '0', '--db', 'pack.db', '--settings', 'settings.json', '--upstream', `openai=${upstream}`, '--upstream', `anthropic=${upstream}`], {
    cwd: home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stdout.on('data', (c) => (out += c));
  server.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve(code ?? signal)));
  const dashboardLine = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), STEP_TIMEOUT_MS);
    const look = () => {
      const m = /^dashboard (http:\/\/127\.0\.0\.1:\d+\S*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    server.stdout.on('data', look);
    void exited.then(() => resolve(null));
  });
  if (!dashboardLine) fail(`"streamtap serve" did not start:\n${out}${err}`);
  const url = new URL(dashboardLine).origin;
  if (!new RegExp(`^database ${path.join(home, 'pack.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\(.* on disk\\))?$`, 'm').test(out)) fail(`serve did not take --db from its folder:\n${out}`);
  step(`serve is listening on ${url}`);
  const page = await fetch(dashboardLine);
  if (page.status !== 200 || !(await page.text()).includes('<div id="root">')) fail(`the dashboard page answered ${page.status}`);
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-pack-check' },
    body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'does the tarball work?' }] }),
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('and installed') || !body.includes('[DONE]')) fail(`the request through serve got ${res.status}: ${body.slice(0, 200)}`);
  server.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref())]);
  if (code !== 0) fail(`serve did not exit 0 on SIGTERM (${code}):\n${err}`);
  server = null;
  step('one request recorded; serve stopped');

  // 6. The reading commands, against that database.
  const exported = JSON.parse(streamtap(['export', '--db', 'pack.db', '--format', 'json']));
  const rec = exported.records?.[0];
  if (exported.formatVersion !== 1 || exported.records.length !== 1 || rec.outcome !== 'completed' || rec.model !== 'gpt-5' || rec.response?.text !== 'packed and installed') {
    fail(`export did not give the request: ${JSON.stringify(exported).slice(0, 300)}`);
  }
  const sessions = JSON.parse(streamtap(['sessions', '--db', 'pack.db', '--format', 'json']));
  if (sessions.sessions?.length !== 1 || sessions.sessions[0].ending?.kind !== 'completed' || sessions.sessions[0].title !== 'does the tarball work?') {
    fail(`sessions did not give the session: ${JSON.stringify(sessions).slice(0, 300)}`);
  }
  const tail = streamtap(['tail', '--db', 'pack.db']).trim().split('\n');
  if (tail.length !== 1 || !/completed/.test(tail[0]) || !/gpt-5/.test(tail[0])) fail(`tail did not show the request: ${tail.join(' | ')}`);
  step('export, sessions and tail read it');
  process.stdout.write(`pack-check: ok in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`pack-check: ${e instanceof CheckFailed ? e.message : (e?.stack ?? e)}\n`);
  process.exitCode = 1;
} finally {
  server?.kill('SIGKILL');
  fake?.close();
  if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  else process.stdout.write(`pack-check: kept ${tmp}\n`);
}

#!/usr/bin/env node
// `npm start`: builds the app, makes sure better-sqlite3 has a build for Electron's
// ABI, then runs the desktop app (tray + window) from out/. Arguments after `--` go
// to Electron (e.g. `npm start -- --hidden` starts in the tray).
//
// Steps:
//   1. electron-vite build            -> out/main, out/preload, out/renderer
//   2. check the Electron binary      (node_modules/electron/dist; never downloads here:
//                                      `require('electron')` would try to, so the
//                                      binary is found the way the electron package's
//                                      own index.js does, read-only)
//   3. node scripts/build-electron-native.mjs --if-possible
//   4. electron .                     (this process forwards signals and exit code)

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

const NO_ELECTRON =
  'streamtap: the desktop app needs the Electron binary, which is not installed (node_modules/electron/dist is missing; ' +
  'reinstall with network access: `rm -rf node_modules/electron && npm install`). ' +
  '`npm run streamtap -- serve` runs the same recorder with the dashboard in a browser.';

function run(label, command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.error) {
    process.stderr.write(`streamtap: ${label} could not run: ${result.error.message}\n`);
    process.exit(1);
  }
  if (result.status !== 0) {
    process.stderr.write(`streamtap: ${label} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

/** The Electron executable, or null when it is not installed. Mirrors
 * node_modules/electron/index.js without its download fallback. */
export function findElectronBinary(root = ROOT, env = process.env) {
  let pkgDir;
  try {
    pkgDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
  let relative = null;
  try {
    relative = fs.readFileSync(path.join(pkgDir, 'path.txt'), 'utf8').trim();
  } catch {
    relative = null;
  }
  const full = env['ELECTRON_OVERRIDE_DIST_PATH']
    ? path.join(env['ELECTRON_OVERRIDE_DIST_PATH'], relative || 'electron')
    : relative
      ? path.join(pkgDir, 'dist', relative)
      : null;
  return full && fs.existsSync(full) ? full : null;
}

function main() {
  const electronVite = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  run('electron-vite build', process.execPath, [electronVite, 'build']);

  const electron = findElectronBinary();
  if (!electron) {
    process.stderr.write(`${NO_ELECTRON}\n`);
    process.exit(1);
  }

  const nativeScript = path.join(ROOT, 'scripts', 'build-electron-native.mjs');
  if (fs.existsSync(nativeScript)) run('building better-sqlite3 for Electron', process.execPath, [nativeScript, '--if-possible']);

  const env = { ...process.env };
  // Set by some tools (and by Electron itself for child processes); it would make the
  // binary run as plain Node instead of starting the app.
  delete env['ELECTRON_RUN_AS_NODE'];
  // A larger young generation: the proxy allocates per request, and short-lived garbage
  // then dies young instead of being promoted (fewer, cheaper GC pauses mid-stream).
  // The same flag `npm run streamtap` gives plain Node.
  const child = spawn(electron, ['--js-flags=--max-semi-space-size=16', '.', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env });
  child.on('error', (err) => {
    process.stderr.write(`streamtap: cannot start Electron (${electron}): ${err.message}\n`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  // A signal death is a failure, not exit 0.
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

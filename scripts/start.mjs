#!/usr/bin/env node
// `npm start`: builds the app, makes sure Electron and an Electron-ABI better-sqlite3
// are there, then runs the desktop app (tray + window) from out/. Arguments after `--`
// go to Electron (e.g. `npm start -- --hidden` starts in the tray).
//
// Steps:
//   1. electron-vite build            -> out/main, out/preload, out/renderer
//   2. the Electron binary            fetched by Electron's own installer the first
//                                     time (scripts/electron-setup.mjs); where it cannot
//                                     be fetched, one line that points at `serve`
//   3. better-sqlite3 for Electron    .native/electron-<abi>/ (build-electron-native.mjs)
//      Linux: Chromium's sandbox     checked, so a sandbox that would abort Electron is
//                                     explained with its fix instead
//   4. electron .                     in its own process group; this process forwards
//                                     one quit signal and passes the exit code on

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { electronEnv, fail, linuxSandboxProblem, prepareDesktop } from './electron-setup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function build() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const electronVite = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [electronVite, 'build'], { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.error) fail(`streamtap: electron-vite build could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`streamtap: electron-vite build failed (exit ${result.status ?? result.signal})`);
}

async function main() {
  build();

  const binary = await prepareDesktop(ROOT);
  const args = process.argv.slice(2);
  // Chromium aborts with a one-line hint of its own, after the window never appeared;
  // say why, and the fix, before launching.
  const sandbox = linuxSandboxProblem({ binary, args });
  if (sandbox) fail(sandbox);

  // A young generation of 2 × 4 MB semi-spaces: what a request leaves behind still dies
  // young, and under many concurrent streams the process stays ~60 MB smaller than with
  // V8's 16 MB (README, Memory). The same flag `npm run streamtap` gives plain Node.
  const child = spawn(binary, ['--js-flags=--max-semi-space-size=4', '.', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: electronEnv(process.env),
    // Its own process group (POSIX): Ctrl+C in the terminal signals the whole foreground
    // group, npm forwards the signal to this script as well, and Electron quits cleanly
    // on the first SIGINT but dies on the second — before 'before-quit' has flushed the
    // store, leaving rows in_progress. In its own group it hears only what this script
    // forwards: one signal. (On Windows `detached` would open a new console instead.)
    detached: process.platform !== 'win32',
  });
  child.on('error', (err) => fail(`streamtap: cannot start Electron (${binary}): ${err.message}`));
  let forwarded = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (forwarded || child.exitCode !== null || child.signalCode !== null) return;
      forwarded = true;
      process.stderr.write('streamtap: quitting (finishing the records in flight)…\n');
      child.kill(signal);
    });
  }
  // A signal death is a failure, not exit 0.
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

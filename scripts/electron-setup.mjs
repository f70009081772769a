// What `npm start`, `npm run dev` and `npm run dist` need before Electron can run: its
// binary. Electron 45's package has no install step (`npm ci` leaves
// node_modules/electron/dist empty); its own installer, node_modules/electron/install.js
// (the `install-electron` bin), fetches the binary with @electron/get, honouring
// ELECTRON_MIRROR, electron_config_cache, electron_use_remote_checksums and
// force_no_cache. This module finds the binary, runs that installer when it is missing,
// and turns a failed fetch into one line instead of the installer's stack trace.
//
// The installer declares Node >= 22.12 but runs on Node 20.19+ (it loads the ESM
// @electron/get with require(), which Node 20.19 allows).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildElectronNative, nativeBuildFailureLine } from './build-electron-native.mjs';

export const SERVE_HINT = '`npm run streamtap -- serve` runs the same recorder with the dashboard in a browser.';

/** The folder of the electron package the project resolves, or null when it is not installed. */
export function electronPackageDir(root) {
  try {
    return path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

export function electronPackageVersion(pkgDir) {
  return JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
}

/** The Electron executable, or null when it has not been fetched. Mirrors
 * node_modules/electron/index.js, read-only: `require('electron')` itself would start a
 * download with no way to report its failure in one line. */
export function findElectronBinary(root, env = process.env) {
  const pkgDir = electronPackageDir(root);
  if (!pkgDir) return null;
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

/** The folder holding the unpacked Electron (what electron-builder calls electronDist):
 * node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH, which Electron honours too. */
export function electronDistDir(root, env = process.env) {
  if (env['ELECTRON_OVERRIDE_DIST_PATH']) return env['ELECTRON_OVERRIDE_DIST_PATH'];
  const pkgDir = electronPackageDir(root);
  return pkgDir ? path.join(pkgDir, 'dist') : null;
}

/**
 * The cause in the installer's output (it prints only `err.stack`): the message of the
 * first `SomeError: message` line, e.g. "fetch failed" or "Response code 404 (Not Found)
 * for https://…". Falls back to the first non-empty line.
 */
export function downloadFailureCause(stderr) {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^[A-Za-z]*Error(\s\[[A-Z_]+\])?:\s/.test(l));
  if (error) return error.replace(/^[A-Za-z]*Error(\s\[[A-Z_]+\])?:\s*/, '');
  return lines[0] ?? 'the installer exited without saying why';
}

/** Where @electron/get downloads from, for the failure line. */
export function downloadSource(env = process.env) {
  const mirror = env['ELECTRON_MIRROR'] ?? env['npm_config_electron_mirror'] ?? env['NPM_CONFIG_ELECTRON_MIRROR'];
  return mirror ? `the mirror ${mirror}` : 'GitHub';
}

function runInstaller(installJs, env) {
  return new Promise((resolve) => {
    // stdout is passed through (the installer is quiet on success); stderr is kept for
    // the cause: on failure it holds only a stack trace.
    const child = spawn(process.execPath, [installJs], { stdio: ['ignore', 'inherit', 'pipe'], env });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      // a runaway log must not grow without bound; the cause is in the first lines
      if (stderr.length < 64 * 1024) stderr += text;
    });
    child.on('error', (err) => resolve({ code: 1, stderr: `Error: ${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stderr }));
  });
}

/**
 * Returns { binary } — fetching Electron first when it is missing — or { problem }: one
 * line that says what failed and what works without Electron.
 */
export async function ensureElectron(root, { env = process.env, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const found = findElectronBinary(root, env);
  if (found) return { binary: found };
  const pkgDir = electronPackageDir(root);
  if (!pkgDir) {
    return { problem: `streamtap: the electron package is not installed (run \`npm ci\`). ${SERVE_HINT}` };
  }
  const version = electronPackageVersion(pkgDir);
  log(`streamtap: fetching the Electron ${version} binary (once; about 100 MB) from ${downloadSource(env)}…`);
  const { code, stderr } = await runInstaller(path.join(pkgDir, 'install.js'), env);
  const binary = findElectronBinary(root, env);
  if (code === 0 && binary) return { binary };
  const source = downloadSource(env);
  const cause = code === 0 ? 'the installer finished but no binary is in node_modules/electron/dist' : downloadFailureCause(stderr);
  return {
    problem:
      `streamtap: could not download the Electron ${version} binary from ${source}: ${cause}. ` +
      `The desktop app needs it once, with network access${source === 'GitHub' ? ' (or ELECTRON_MIRROR)' : ''}. ${SERVE_HINT}`,
  };
}

/** The environment Electron runs the app with. */
export function electronEnv(env) {
  const out = { ...env };
  // Set by some tools (and by Electron itself for child processes); it would make the
  // binary run as plain Node instead of starting the app.
  delete out['ELECTRON_RUN_AS_NODE'];
  return out;
}

/** Prints the line and exits 1: a start that cannot go on. */
export function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

/**
 * What the desktop app needs before it can run, for `npm start`, `npm run dev` and
 * `npm run setup`: the Electron binary (fetched when missing) and better-sqlite3 built
 * for its ABI. Returns the binary's path; on failure prints one line and exits.
 */
export async function prepareDesktop(root) {
  const { binary, problem } = await ensureElectron(root);
  if (!binary) fail(problem);
  try {
    await buildElectronNative(root, { quiet: true });
  } catch (err) {
    fail(`${nativeBuildFailureLine(err)} ${SERVE_HINT}`);
  }
  return binary;
}

/**
 * Linux: why Chromium's sandbox would abort Electron at launch (before any of the app's
 * code runs, so only the launcher can explain it), or null when it can start. Chromium
 * sandboxes with unprivileged user namespaces where it may, else with the setuid helper
 * `chrome-sandbox` next to the binary, which must be root-owned with mode 4755; a
 * checkout's copy never is. Ubuntu 23.10+ restricts user namespaces through AppArmor
 * (kernel.apparmor_restrict_unprivileged_userns=1), Debian may disable them
 * (kernel.unprivileged_userns_clone=0), and Chromium refuses to run as root with its
 * sandbox on. `--no-sandbox` in the arguments skips the check (the user chose it).
 *
 * `command` is how the user started (`npm start`), `noSandbox` how they would start
 * without the sandbox. `sys` is injectable for tests: { platform, uid,
 * readFile(path) -> string|null, stat(path) -> { uid, mode }|null }.
 */
export function linuxSandboxProblem({ binary, args, command = 'npm start', noSandbox = 'npm start -- --no-sandbox', sys = realSystem() }) {
  if (sys.platform !== 'linux' || args.includes('--no-sandbox')) return null;
  if (sys.uid === 0) {
    return (
      `streamtap: Electron will not run as root with its sandbox on. Run \`${command}\` as your own user, ` +
      `or \`${noSandbox}\` to run without Chromium's sandbox (containers, CI).`
    );
  }
  const sysctl = (name) => sys.readFile(`/proc/sys/${name.replace(/\./g, '/')}`)?.trim() ?? null;
  const restricted = sysctl('kernel.apparmor_restrict_unprivileged_userns') === '1';
  const disabled = sysctl('kernel.unprivileged_userns_clone') === '0' || sysctl('user.max_user_namespaces') === '0';
  if (!restricted && !disabled) return null;
  const helper = path.join(path.dirname(binary), 'chrome-sandbox');
  const st = sys.stat(helper);
  if (st && st.uid === 0 && (st.mode & 0o4755) === 0o4755) return null;
  const why = restricted
    ? 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)'
    : 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)';
  return (
    `streamtap: Electron's sandbox cannot start here: ${why}, and ${helper} is not root-owned with mode 4755. ` +
    `Fix it once with \`sudo chown root:root ${helper} && sudo chmod 4755 ${helper}\` ` +
    `(again after each reinstall of Electron), or run without the sandbox: \`${noSandbox}\`.`
  );
}

function realSystem() {
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    readFile: (p) => {
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    },
    stat: (p) => {
      try {
        const s = fs.statSync(p);
        return { uid: s.uid, mode: s.mode };
      } catch {
        return null;
      }
    },
  };
}

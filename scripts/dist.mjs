#!/usr/bin/env node
// `npm run dist`: the installable app for this platform, into dist/ (macOS dmg + zip,
// Windows nsis, Linux AppImage + deb; electron-builder.config.mjs). Arguments go to
// electron-builder: `npm run dist -- --dir` makes only the unpacked app (fast, to try
// it), `npm run dist -- --linux deb` one target, `--mac`/`--win` another platform.
//
// Steps:
//   1. electron-vite build
//   2. the Electron binary          fetched once with Electron's own installer, as for
//                                    `npm start` (scripts/electron-setup.mjs); where it
//                                    cannot be fetched, one line saying so
//   3. better-sqlite3 for Electron  .native/electron-<abi>/, shipped as an extra resource
//   4. electron-builder             packs the app; for this platform it packs the binary
//                                    from step 2 (electronDist) rather than downloading
//                                    another copy; for another platform it downloads one

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { electronDistDir, fail, prepareDesktop } from './electron-setup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

const HOST_FLAG = { darwin: '--mac', win32: '--win', linux: '--linux' }[process.platform];
const PLATFORM_FLAGS = ['--mac', '-m', '--macos', '--win', '-w', '--windows', '--linux', '-l'];

/** Whether the arguments ask only for this platform (or name none). */
export function buildsForHostOnly(args, hostFlag = HOST_FLAG) {
  const asked = args.filter((a) => PLATFORM_FLAGS.includes(a)).map((a) => ({ '-m': '--mac', '--macos': '--mac', '-w': '--win', '--windows': '--win', '-l': '--linux' })[a] ?? a);
  return asked.every((a) => a === hostFlag);
}

/** electron-builder's arguments: the config, the local binary when it fits, the user's own. */
export function builderArgs(args, { electronDist, hostFlag = HOST_FLAG }) {
  const out = ['--config', 'electron-builder.config.mjs'];
  if (electronDist && buildsForHostOnly(args, hostFlag)) out.push(`-c.electronDist=${electronDist}`);
  return [...out, ...args];
}

async function main() {
  const args = process.argv.slice(2);
  const electronVite = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const built = spawnSync(process.execPath, [electronVite, 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) fail(`streamtap: electron-vite build failed (exit ${built.status ?? built.signal})`);

  await prepareDesktop(ROOT);

  const builder = path.join(path.dirname(require.resolve('electron-builder/package.json')), 'cli.js');
  const child = spawn(process.execPath, [builder, ...builderArgs(args, { electronDist: electronDistDir(ROOT) })], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  child.on('error', (err) => fail(`streamtap: cannot run electron-builder: ${err.message}`));
  child.on('exit', (code, signal) => {
    if (code === 0) process.stdout.write(`streamtap: the app is in ${path.join(ROOT, 'dist')}\n`);
    process.exit(code ?? (signal ? 1 : 0));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

#!/usr/bin/env node
// `npm run dev`: electron-vite's dev mode (renderer hot reload, main rebuilt on change),
// after the same preparation as `npm start`: the Electron binary (fetched the first
// time) and better-sqlite3 built for Electron's ABI. Arguments go to electron-vite dev.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { electronEnv, fail, linuxSandboxProblem, prepareDesktop } from './electron-setup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const binary = await prepareDesktop(ROOT);
// electron-vite passes --no-sandbox to Electron when NO_SANDBOX=1
const sandbox = linuxSandboxProblem({
  binary,
  args: process.env['NO_SANDBOX'] === '1' ? ['--no-sandbox'] : [],
  command: 'npm run dev',
  noSandbox: 'NO_SANDBOX=1 npm run dev',
});
if (sandbox) fail(sandbox);

const require = createRequire(path.join(ROOT, 'package.json'));
const electronVite = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
// electron-vite runs the binary named by ELECTRON_EXEC_PATH (else it reads path.txt).
const child = spawn(process.execPath, [electronVite, 'dev', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...electronEnv(process.env), ELECTRON_EXEC_PATH: binary },
});
// Ctrl+C reaches electron-vite and Electron from the terminal (same process group):
// this process only waits for them and passes the exit code on.
process.on('SIGINT', () => {});
child.on('error', (err) => fail(`streamtap: cannot start electron-vite: ${err.message}`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

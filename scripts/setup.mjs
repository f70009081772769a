#!/usr/bin/env node
// `npm run setup`: prepares the desktop app without starting it — fetches the Electron
// binary with Electron's own installer (once; honours ELECTRON_MIRROR and the usual
// cache settings) and builds better-sqlite3 for Electron's ABI into .native/. `npm
// start` does the same on its own; this is for doing it ahead (an image, a slow link).

import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { electronPackageDir, electronPackageVersion, prepareDesktop } from './electron-setup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const binary = await prepareDesktop(ROOT);
process.stdout.write(`streamtap: Electron ${electronPackageVersion(electronPackageDir(ROOT))} is installed (${path.relative(ROOT, binary)})\n`);

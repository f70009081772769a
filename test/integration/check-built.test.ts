// `npm run streamtap` before `npm run build`: one line saying what to do, exit 1; once
// built, the check is silent. The script runs from a copy in a temporary package folder
// so the test never touches this checkout's out/.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/check-built.mjs');
let dir = '';

afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('says to build first when the command is not built, and is silent once it is', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-check-built-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(SCRIPT, path.join(dir, 'scripts', 'check-built.mjs'));
  const run = () => spawnSync(process.execPath, [path.join(dir, 'scripts', 'check-built.mjs')], { encoding: 'utf8', timeout: 20_000 });

  const before = run();
  expect(before.status).toBe(1);
  expect(before.stderr).toBe('streamtap: not built yet: run "npm run build" first (it builds the command into out/cli/)\n');

  fs.mkdirSync(path.join(dir, 'out', 'cli'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'out', 'cli', 'streamtap.js'), '');
  const after = run();
  expect(after.status).toBe(0);
  expect(after.stderr).toBe('');
  expect(after.stdout).toBe('');
});

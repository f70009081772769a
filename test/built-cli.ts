// vitest's global setup: the tests that run `npm run streamtap` (stopping `serve` by a
// signal, paths through npm) run the built CLI, as a user does. Build it first when it
// is missing or older than a source it is built from, so they never run a stale build.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BUILT = path.join(ROOT, 'out', 'cli', 'streamtap.js');

/** The newest modification time under a folder (or of a file); bounded by the tree's size. */
function newest(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, name)));
  return t;
}

export default function setup(): void {
  const built = fs.existsSync(BUILT) ? fs.statSync(BUILT).mtimeMs : 0;
  const sources = Math.max(...['src-main', 'package.json', 'scripts/build-cli.mjs'].map((p) => newest(path.join(ROOT, p))));
  if (built >= sources) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`building the CLI failed (node scripts/build-cli.mjs): ${r.stderr || r.stdout}`);
}

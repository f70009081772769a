#!/usr/bin/env node
// Builds the headless CLI into out/cli/streamtap.js: one ESM file for Node >= 20.19 with
// every package.json dependency left external (loaded from node_modules at run time;
// better-sqlite3 is a native addon and cannot be bundled), so `streamtap` and
// `npm run streamtap` start without a TypeScript loader. The store's writer thread is
// a second entry, out/cli/writer-thread.js, which the store starts from beside itself. The store finds its migrations
// next to the module that runs it, so they are copied to out/cli/migrations; the
// dashboard is served from out/renderer (electron-vite builds it).
// Part of `npm run build`; on its own: `node scripts/build-cli.mjs`.

import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'out', 'cli');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {});

/** One self-contained ESM file in out/cli. */
async function bundle(entry, fileName, emptyOutDir) {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: path.join(root, entry),
      outDir,
      emptyOutDir,
      target: 'node20.19',
      minify: false,
      // A reported error's stack is never shown (one line), so a map would only weigh.
      sourcemap: false,
      rolldownOptions: {
        // node:* built-ins are external in an SSR build already; the dependencies too,
        // named here so one that is only reached through a subpath stays external as well.
        external: (id) => external.some((dep) => id === dep || id.startsWith(`${dep}/`)),
        output: { format: 'esm', entryFileNames: fileName, codeSplitting: false },
      },
    },
    ssr: { target: 'node' },
  });
}

await bundle('src-main/headless/cli.ts', 'streamtap.js', true);
await bundle('src-main/core/db/writer-thread.ts', 'writer-thread.js', false);

fs.cpSync(path.join(root, 'src-main/core/db/migrations'), path.join(outDir, 'migrations'), { recursive: true });
const entry = path.join(outDir, 'streamtap.js');
// The file is the `streamtap` command itself (package.json "bin"): npm links it with
// its mode, so it must be executable.
fs.chmodSync(entry, 0o755);
process.stdout.write(`built ${path.relative(root, entry)}\n`);

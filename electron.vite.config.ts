// Builds the three Electron processes into out/:
//   main     src-main/index.ts      -> out/main/index.js   (ESM; Electron >= 28 loads it)
//            and the store's writer thread -> out/main/writer-thread.js
//   preload  src-preload/index.ts   -> out/preload/index.cjs
//   renderer src-renderer/index.html -> out/renderer/
// `npm run build` runs this without the Electron binary: electron-vite only reads
// Electron's version from node_modules/electron/package.json to pick build targets.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const r = (p: string): string => path.resolve(ROOT, p);

/**
 * The store runs its SQL migrations from a folder at runtime; a bundle has no
 * src-main/core/db/migrations, so it is copied next to out/main/index.js, where main
 * points createCore's `migrationsFolder` (and where the store's own default resolves).
 */
function copyMigrations(): Plugin {
  const from = r('src-main/core/db/migrations');
  let outDir = r('out/main');
  return {
    name: 'streamtap:copy-migrations',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const to = path.join(outDir, 'migrations');
      fs.rmSync(to, { recursive: true, force: true });
      fs.cpSync(from, to, { recursive: true });
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: r('out/main'),
      // Every package.json dependency stays external (loaded from node_modules at run
      // time). better-sqlite3 must: it is a native addon, and main loads the Electron-ABI
      // build of it through openStore's `nativeBinding` option, never a bundled copy.
      externalizeDeps: true,
      rolldownOptions: {
        // The store's writer thread is an entry of its own: out/main/writer-thread.js,
        // started by write-executor.ts from beside the bundle that runs it.
        input: { index: r('src-main/index.ts'), 'writer-thread': r('src-main/core/db/writer-thread.ts') },
      },
    },
    plugins: [copyMigrations()],
  },
  preload: {
    build: {
      outDir: r('out/preload'),
      // A sandboxed preload cannot `import` and can `require` only a few built-ins
      // (electron, events, timers, url), never node_modules: so it is one CommonJS file
      // with its dependencies (the contract, hence zod) bundled in. electron-vite would
      // otherwise emit ESM (.mjs) because package.json says "type": "module", and
      // Electron refuses an ESM preload when sandbox is on.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: r('src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: r('src-renderer'),
    build: {
      outDir: r('out/renderer'),
      // Served to a browser by the headless server too: ship it minified.
      minify: true,
      rolldownOptions: {
        input: { index: r('src-renderer/index.html') },
      },
    },
    plugins: [react()],
  },
});

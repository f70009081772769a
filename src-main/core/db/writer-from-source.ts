// The writer thread when running from the TypeScript sources (tests, `tsx` scripts),
// where no built writer-thread.js sits beside write-executor.ts. A worker does not
// inherit the parent's tsx hooks, and registering them on each writer thread cost every
// store ~170 ms before its first commit (measured: 210-280 ms after openStore, against
// 35-60 ms for plain JavaScript), which tripled the store tests' time. So the thread's
// module is bundled once per process, with the esbuild that tsx itself runs on, and
// every writer starts from that JavaScript.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The part of esbuild's API used here. */
interface Esbuild {
  buildSync(options: {
    entryPoints: string[];
    bundle: boolean;
    platform: 'node';
    format: 'esm';
    target: string;
    write: false;
    logLevel: 'silent';
  }): { outputFiles: { text: string }[] };
}

let compiled: URL | null = null;

/**
 * The writer thread's module built from `source` (its .ts), as a data: URL a Worker
 * runs as an ES module; the bundle imports only Node built-ins, so it needs no path of
 * its own. When tsx (and with it esbuild) is not installed, `source` itself: the
 * thread then fails to start, and the store reports a failing writer (degraded).
 */
export function writerFromSource(source: URL): URL {
  if (compiled) return compiled;
  try {
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    const esbuild = fromTsx('esbuild') as Esbuild;
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(source)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const text = out.outputFiles[0]?.text ?? '';
    compiled = new URL(`data:text/javascript;base64,${Buffer.from(text, 'utf8').toString('base64')}`);
    return compiled;
  } catch {
    return source;
  }
}

// zod's `new Function` probe must not run in code under the app's CSP (the renderer and
// the preload): Chromium reports it as a violation even though zod catches the throw.
// Counts every `new Function` while the contract's schemas are built, with and without
// common/zod-jitless.ts imported first, and checks both entries import it first.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RealFunction = globalThis.Function;

/** Runs `load` with `new Function` counted; each call gets a fresh zod (resetModules). */
async function functionConstructionsWhile(load: () => Promise<unknown>): Promise<number> {
  vi.resetModules();
  let constructed = 0;
  globalThis.Function = new Proxy(RealFunction, {
    construct(target, args, newTarget) {
      constructed++;
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  try {
    await load();
  } finally {
    globalThis.Function = RealFunction;
  }
  return constructed;
}

afterEach(() => {
  globalThis.Function = RealFunction;
});

describe('zod under the CSP', () => {
  it('building the contract probes `new Function` unless zod-jitless is imported first', async () => {
    const jit = await functionConstructionsWhile(async () => {
      await import('../../src-main/common/contract.js');
      const { z } = await import('zod');
      z.object({ a: z.string() }).parse({ a: 'x' });
    });
    expect(jit).toBeGreaterThan(0);
    const jitless = await functionConstructionsWhile(async () => {
      await import('../../src-main/common/zod-jitless.js');
      await import('../../src-main/common/contract.js');
      const { z } = await import('zod');
      z.object({ a: z.string() }).parse({ a: 'x' });
    });
    expect(jitless).toBe(0);
  });

  it.each(['src-preload/index.ts', 'src-renderer/main.tsx'])('%s imports zod-jitless before anything else', (file) => {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const firstImport = source.split('\n').find((l) => l.startsWith('import '));
    expect(firstImport).toBe("import '../src-main/common/zod-jitless.js';");
  });
});

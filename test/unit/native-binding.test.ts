import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronBindingPath, resolveNativeBinding } from '../../src-main/core/db/native-binding.js';
import { openStore, StoreOpenError } from '../../src-main/core/db/store.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { electronAbi, targetPath } from '../../scripts/build-electron-native.mjs';
import { makeRecord } from '../fixtures/store-records.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NODE_BUILD = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtap-native-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveNativeBinding', () => {
  it('uses the node_modules build under plain Node', () => {
    expect(resolveNativeBinding({ appRoot: '/app', exists: () => true })).toEqual({});
  });

  it('uses .native/electron-<abi>/better_sqlite3.node under Electron when it exists', () => {
    const expected = join('/app', '.native', 'electron-150', 'better_sqlite3.node');
    const asked: string[] = [];
    const choice = resolveNativeBinding({
      electronVersion: '45.4.1',
      electronAbi: '150',
      appRoot: '/app',
      exists: (p) => (asked.push(p), p === expected),
    });
    expect(choice).toEqual({ path: expected });
    expect(asked).toEqual([expected]);
  });

  it('names the missing file and the command that builds it when the Electron build is absent', () => {
    const choice = resolveNativeBinding({ electronVersion: '45.4.1', electronAbi: '150', appRoot: '/app', exists: () => false });
    expect(choice.path).toBeUndefined();
    expect(choice.problem).toContain('npm run build:native-electron');
    expect(choice.problem).toContain('Electron 45.4.1');
    expect(choice.problem).toContain('ABI 150');
    expect(choice.problem).toContain(join('/app', '.native', 'electron-150', 'better_sqlite3.node'));
  });

  it('reports a problem rather than guessing when Electron gives no ABI', () => {
    const choice = resolveNativeBinding({ electronVersion: '45.4.1', appRoot: '/app', exists: () => true });
    expect(choice.path).toBeUndefined();
    expect(choice.problem).toMatch(/ABI/);
  });
});

describe('build script and app agree', () => {
  it('puts the addon where the app looks for it', () => {
    expect(targetPath('/app', '150')).toBe(electronBindingPath('/app', '150'));
  });

  it("reads Electron's ABI from the electron package without running Electron", () => {
    const root = join(dir, 'proj');
    mkdirSync(join(root, 'node_modules', 'electron'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{}');
    writeFileSync(join(root, 'node_modules', 'electron', 'abi_version'), '150\n');
    expect(electronAbi(root, '45.4.1')).toBe('150');
  });

  it('falls back to the node-abi table when the electron package has no abi_version', () => {
    // A folder inside the repository finds the repository's node-abi by walking up,
    // but has no node_modules/electron/abi_version of its own.
    const inRepo = join(ROOT, '.tmp', 'no-electron-here');
    expect(electronAbi(inRepo, '33.0.0')).toBe('130');
    // outside the repository neither source exists: no answer rather than a guess
    expect(electronAbi(dir, '33.0.0')).toBeNull();
  });
});

describe('openStore nativeBinding', () => {
  it('loads the addon from the given path', () => {
    // a copy at a path nothing else uses: opening works only if the option is honoured
    const copy = join(dir, 'elsewhere', 'better_sqlite3.node');
    mkdirSync(dirname(copy));
    copyFileSync(NODE_BUILD, copy);
    const store = openStore({ path: join(dir, 'a.db'), nativeBinding: copy });
    try {
      const rec = makeRecord();
      store.insert(rec);
      expect(store.get(rec.id)).toEqual(rec);
    } finally {
      store.close();
    }
  });

  it('gives a clear StoreOpenError for a missing addon', () => {
    const bogus = join(dir, 'missing', 'better_sqlite3.node');
    expect(() => openStore({ path: join(dir, 'b.db'), nativeBinding: bogus })).toThrow(StoreOpenError);
    expect(() => openStore({ path: join(dir, 'b.db'), nativeBinding: bogus })).toThrow(
      new RegExp(`^Cannot load the SQLite native module ${bogus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(Cannot find module .*\\)$`),
    );
  });

  it('gives a clear StoreOpenError for a file that is not an addon', () => {
    const fake = join(dir, 'fake.node');
    writeFileSync(fake, 'not a shared library');
    let err: unknown;
    try {
      openStore({ path: join(dir, 'c.db'), nativeBinding: fake });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreOpenError);
    const message = (err as Error).message;
    expect(message.startsWith(`Cannot load the SQLite native module ${fake} (`)).toBe(true);
    expect(message).not.toContain('\n');
  });
});

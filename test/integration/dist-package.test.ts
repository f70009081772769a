// `npm run dist`, end to end, where the real Electron cannot be fetched: a temporary copy
// of the project packs a stand-in Electron (ELECTRON_OVERRIDE_DIST_PATH, which Electron
// and the start scripts honour) whose "binary" carries a fuse wire, with the real
// electron-builder and the real configuration (`--dir`: the unpacked app, no
// installer). Checks the installed layout: the app in app.asar, the fuses flipped in the
// binary, the Electron-ABI better-sqlite3 outside the archive, where the app's binding
// resolution finds it, and koffi's Node-API addon unpacked beside the archive. And without network, `npm run dist` says so in one line.

import fs from 'node:fs';
import path from 'node:path';
import asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveNativeBinding } from '../../src-main/core/db/native-binding.js';
import { closedPort, makeTempProject, PROJECT_FILES, ROOT, runProjectScript, type ScriptRun, type TempProject } from '../fixtures/electron-stand-in.js';

const ABI = fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'abi_version'), 'utf8').trim();
const ELECTRON_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')).version as string;

/** Electron's fuse sentinel; the wire follows: version byte, length byte, one '0'/'1' per fuse. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** FuseV1Options order */
const FUSES = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;

function readFuses(binary: string): Record<string, boolean> {
  const data = fs.readFileSync(binary);
  const at = data.indexOf(SENTINEL);
  if (at < 0) throw new Error(`no fuse wire in ${binary}`);
  const wire = at + SENTINEL.length;
  expect(data[wire]).toBe(1); // wire version
  return Object.fromEntries(FUSES.map((name, i) => [name, data[wire + 2 + i] === 0x31]));
}

describe.runIf(process.platform === 'linux')('npm run dist with a stand-in Electron', { timeout: 300_000 }, () => {
  let dir: string;
  let run: ScriptRun;
  let unpacked: string;
  let cache: string;

  beforeAll(async () => {
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'dist-'));
    for (const entry of PROJECT_FILES) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    // electron-builder collects the production dependencies from the project's
    // node_modules: the repository's, read-only here (the stand-in is elsewhere).
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    // The stand-in Electron: a script whose text carries a fuse wire with every fuse on.
    const dist = path.join(dir, 'electron-dist');
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(dist, 'electron'), `#!/bin/sh\n# ${SENTINEL}\x01\x09111111111\nexit 0\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dist, 'version'), `v${ELECTRON_VERSION}`);
    // The Electron-ABI addon cannot be compiled offline; a placeholder where
    // build-electron-native.mjs puts it stands in (the configuration ships it as is).
    const addon = path.join(dir, '.native', `electron-${ABI}`, 'better_sqlite3.node');
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.writeFileSync(addon, 'placeholder addon');
    cache = path.join(dir, 'electron-cache');
    fs.mkdirSync(cache);
    run = await runProjectScript(dir, 'dist.mjs', { ELECTRON_OVERRIDE_DIST_PATH: dist, electron_config_cache: cache, ELECTRON_BUILDER_CACHE: cache }, ['--dir'], 280_000);
    unpacked = path.join(dir, 'dist', 'linux-unpacked');
  }, 300_000);

  afterAll(() => {
    if (!dir) return;
    // the link first, so nothing below can ever reach the repository's node_modules
    fs.rmSync(path.join(dir, 'node_modules'), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('packs the app with electron-builder, from the local Electron (no download)', () => {
    expect(run.code, run.stderr).toBe(0);
    // nothing was downloaded into the Electron cache: the stand-in was packed
    expect(fs.readdirSync(cache)).toEqual([]);
    expect(run.stdout).toContain(`streamtap: the app is in ${path.join(dir, 'dist')}`);
    expect(fs.existsSync(path.join(unpacked, 'streamtap'))).toBe(true);
  });

  it('flips the fuses in the packaged binary', () => {
    expect(readFuses(path.join(unpacked, 'streamtap'))).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('puts the built app and its runtime dependencies in app.asar, without the Node-ABI addon', () => {
    const files = new Set(asar.listPackage(path.join(unpacked, 'resources', 'app.asar'), { isPack: false }).map((f) => f.split(path.sep).join('/')));
    for (const f of [
      '/package.json',
      '/out/main/index.js',
      '/out/main/migrations/0000_init.sql',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/resources/tray-24.png',
      '/node_modules/better-sqlite3/lib/index.js',
      '/node_modules/drizzle-orm/package.json',
      '/node_modules/undici/package.json',
    ]) {
      expect(files.has(f), f).toBe(true);
    }
    // The only addons are koffi's (Node-API: one build loads in Node and Electron), kept
    // outside the archive, where a native addon must be to load; never better-sqlite3's
    // Node-ABI build.
    // (In this test's layout, node_modules linked from the repository, npm list does not
    // always resolve koffi's optional platform package; in the project itself it does.)
    const addons = [...files].filter((f) => f.endsWith('.node'));
    for (const f of addons) {
      expect(f).toMatch(/^\/node_modules\/@koromix\/koffi-linux-[a-z0-9]+\/[a-z0-9_]+\/koffi\.node$/);
      expect(fs.existsSync(path.join(unpacked, 'resources', 'app.asar.unpacked', f)), f).toBe(true);
    }
    expect(files.has('/node_modules/koffi/index.cjs')).toBe(true);
    expect([...files].filter((f) => /^\/node_modules\/koffi\/(vendor|doc|src\/koffi\/src)\//.test(f))).toEqual([]);
    expect([...files].filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.has('/src-main/index.ts')).toBe(false);
    // what the main process imports is there; what only the renderer bundle used is not
    // (the tokenizer's worker requires the CommonJS build of its encoding)
    expect(files.has('/node_modules/gpt-tokenizer/cjs/encoding/o200k_base.js')).toBe(true);
    expect([...files].filter((f) => /^\/node_modules\/(react|react-dom|zustand)\//.test(f) || f.startsWith('/node_modules/gpt-tokenizer/esm/'))).toEqual([]);
  });

  it('ships the Electron-ABI better-sqlite3 outside the archive, where the installed app finds it', () => {
    const resources = path.join(unpacked, 'resources');
    const choice = resolveNativeBinding({
      electronVersion: ELECTRON_VERSION,
      electronAbi: ABI,
      appRoot: path.join(resources, 'app.asar'),
      packagedResourcesDir: resources,
      exists: fs.existsSync,
    });
    expect(choice).toEqual({ path: path.join(resources, 'native', `electron-${ABI}`, 'better_sqlite3.node') });
    expect(fs.readFileSync(choice.path!, 'utf8')).toBe('placeholder addon');
  });
});

describe.skipIf(process.platform === 'win32')('npm run dist without network', { timeout: 120_000 }, () => {
  let project: TempProject;
  afterAll(() => project?.remove());

  it('says it cannot fetch Electron in one line, and packs nothing', async () => {
    project = makeTempProject('dist-offline');
    const port = await closedPort();
    const run = await runProjectScript(
      project.dir,
      'dist.mjs',
      { ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_use_remote_checksums: '1', electron_config_cache: path.join(project.dir, 'cache') },
      [],
      110_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('streamtap:'))).toEqual([
      expect.stringMatching(new RegExp(`^streamtap: could not download the Electron ${ELECTRON_VERSION.replace(/\./g, '\\.')} binary from the mirror http://127\\.0\\.0\\.1:${port}/: fetch failed\\. `)),
    ]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });
});

#!/usr/bin/env node
// Builds better-sqlite3 for the installed Electron and puts the addon at
// .native/electron-<abi>/better_sqlite3.node, where the desktop app looks for it
// (src-main/core/db/native-binding.ts).
//
// Why not rebuild node_modules in place (the usual `electron-rebuild`): plain Node
// (tests, headless, CLI) loads node_modules/better-sqlite3/build, and an Electron
// build there would break it. So this compiles a temporary copy and keeps only the
// resulting .node file.
//
// The ABI number comes from node_modules/electron/abi_version, which the electron
// package ships (it is the `process.versions.modules` of that Electron), so Electron
// need not run; if the file is missing, from the node-abi package's table.
//
// Usage: node scripts/build-electron-native.mjs [--if-possible] [--force]
//          [--from-source] [--headers-url=URL]
//   --if-possible   when the build cannot be done (no Electron headers: offline), print
//                   one line and exit 0 instead of 1 (for setup scripts)
//   --force         rebuild even if the addon already exists
//   --from-source   skip the prebuilt-binary download, compile with node-gyp
//   --headers-url   where node-gyp downloads Electron's headers (a mirror)

import { existsSync, readFileSync } from 'node:fs';
import { cp, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PREFIX = 'build:native-electron:';

/** The installed Electron's version, or null when electron is not installed. */
export function electronVersion(root) {
  const pkg = join(root, 'node_modules', 'electron', 'package.json');
  if (!existsSync(pkg)) return null;
  return JSON.parse(readFileSync(pkg, 'utf8')).version ?? null;
}

/** Electron's module ABI (process.versions.modules) without running Electron. */
export function electronAbi(root, version) {
  const file = join(root, 'node_modules', 'electron', 'abi_version');
  if (existsSync(file)) {
    const abi = readFileSync(file, 'utf8').trim();
    if (/^\d+$/.test(abi)) return abi;
  }
  try {
    const require = createRequire(join(root, 'package.json'));
    return String(require('node-abi').getAbi(version, 'electron'));
  } catch {
    return null;
  }
}

export function targetPath(root, abi) {
  return join(root, '.native', `electron-${abi}`, 'better_sqlite3.node');
}

/**
 * Builds the addon unless it exists (or `options.force`). Returns { target, built };
 * throws with the cause when it cannot be built. Used by `npm start` and `npm run dev`
 * in-process, and by this script's command line.
 */
export async function buildElectronNative(root, options = {}) {
  const version = electronVersion(root);
  if (!version) throw new Error('electron is not installed (node_modules/electron is missing); run npm install');
  const abi = electronAbi(root, version);
  if (!abi) throw new Error(`cannot tell the module ABI of Electron ${version} (no abi_version file, node-abi does not know it)`);
  const target = targetPath(root, abi);
  if (existsSync(target) && !options.force) {
    console.log(`${PREFIX} ${relative(root, target)} is already built for Electron ${version} (use --force to rebuild)`);
    return { target, built: false };
  }
  const source = join(root, 'node_modules', 'better-sqlite3');
  if (!existsSync(join(source, 'package.json'))) throw new Error('better-sqlite3 is not installed; run npm install');

  // The temporary project lives inside the repository so that @electron/rebuild finds
  // prebuild-install and node-gyp in the repository's node_modules when it walks up.
  await mkdir(join(root, '.native'), { recursive: true });
  const work = await mkdtemp(join(root, '.native', '.build-'));
  try {
    const { version: sqliteVersion } = JSON.parse(await readFile(join(source, 'package.json'), 'utf8'));
    await writeFile(
      join(work, 'package.json'),
      JSON.stringify({ name: 'streamtap-native-build', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }),
    );
    const copy = join(work, 'node_modules', 'better-sqlite3');
    // Everything but the existing (plain Node) build output.
    const skip = join(source, 'build');
    await cp(source, copy, { recursive: true, filter: (p) => p !== skip && !p.startsWith(skip + sep) });

    // This machine's npm config may point node-gyp at the local Node's headers
    // (nodedir); for Electron that would compile against the wrong V8 and produce an
    // addon Electron refuses. node-gyp must fetch Electron's own headers.
    for (const key of Object.keys(process.env)) {
      if (/^npm_config_nodedir$/i.test(key)) delete process.env[key];
    }

    const { rebuild } = await import(pathToFileURL(createRequire(join(root, 'package.json')).resolve('@electron/rebuild')).href);
    // @electron/rebuild dumps node-gyp's whole log through console.error on failure;
    // keep it, and show it only when asked to fail loudly (not with --if-possible, nor
    // for `npm start`, which shows the one line that names the cause).
    const log = [];
    const consoleError = console.error;
    console.error = (...args) => void log.push(args.map(String).join(' '));
    try {
      await rebuild({
        buildPath: work,
        electronVersion: version,
        onlyModules: ['better-sqlite3'],
        force: true,
        mode: 'sequential',
        buildFromSource: options.fromSource,
        ...(options.headersUrl ? { headerURL: options.headersUrl } : {}),
      });
    } catch (err) {
      const text = log.join('\n');
      if (!options.ifPossible && !options.quiet && text.trim()) consoleError(text);
      // the underlying cause (a failed header download, a compiler error) beats
      // "node-gyp failed to rebuild <temp path>"
      const cause = text.split('\n').map((l) => l.trim()).find((l) => /^(\w*Error|gyp ERR!)/.test(l));
      throw new Error(`node-gyp failed for Electron ${version}${cause ? ` (${cause})` : ''}`, { cause: err });
    } finally {
      console.error = consoleError;
    }

    const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (!existsSync(built)) throw new Error(`the rebuild finished but ${relative(root, built)} was not produced`);
    // A Node addon exports node_register_module_v<ABI>; check it is Electron's.
    const binary = await readFile(built);
    if (!binary.includes(`node_register_module_v${abi}`)) {
      throw new Error(`the built addon is not for module ABI ${abi} (compiled against the wrong headers?)`);
    }
    await mkdir(dirname(target), { recursive: true });
    // copy then rename: the app never sees a half-written addon
    await copyFile(built, `${target}.tmp`);
    await rename(`${target}.tmp`, target);
    console.log(`${PREFIX} built ${relative(root, target)} for Electron ${version} (module ABI ${abi})`);
    return { target, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function firstLine(err) {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
}

/** The one line shown when the build failed. */
export function nativeBuildFailureLine(err) {
  return (
    `${PREFIX} could not build better-sqlite3 for Electron: ${firstLine(err)}. ` +
    'The desktop app needs it (it needs Electron headers or a prebuilt binary, so network access); ' +
    'headless mode and the tests do not.'
  );
}

async function main(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const headersArg = argv.find((a) => a.startsWith('--headers-url='));
  const options = {
    ifPossible: argv.includes('--if-possible'),
    force: argv.includes('--force'),
    fromSource: argv.includes('--from-source'),
    headersUrl: headersArg ? headersArg.slice('--headers-url='.length) : undefined,
  };
  try {
    await buildElectronNative(root, options);
    return 0;
  } catch (err) {
    // node-gyp prints its own log above on failure; this is the line that matters.
    console.error(nativeBuildFailureLine(err));
    return options.ifPossible ? 0 : 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

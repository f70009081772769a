// Chooses which compiled better-sqlite3 addon the store loads.
//
// better-sqlite3 is a native addon built against V8 directly (not Node-API), so a
// build only loads in the runtime whose ABI (process.versions.modules) it was
// compiled for. Plain Node (tests, headless, CLI) uses the build npm put in
// node_modules/better-sqlite3/build. Electron's ABI differs, and rebuilding
// node_modules in place for Electron would break plain Node, so the Electron build
// lives beside it in `.native/electron-<abi>/better_sqlite3.node`, made by
// `npm run build:native-electron` (scripts/build-electron-native.mjs).
//
// In an installed app the same file is shipped outside the asar archive (a native
// addon must be a real file to be loaded), as
// <resources>/native/electron-<abi>/better_sqlite3.node (electron-builder.config.mjs
// `extraResources`), and the app looks there instead.
//
// This module only decides; the caller passes the result to openStore's
// `nativeBinding` option, or shows `problem` to the user.

import { join } from 'node:path';

export const BUILD_NATIVE_ELECTRON_COMMAND = 'npm run build:native-electron';

export interface NativeBindingEnv {
  /** process.versions.electron; undefined under plain Node */
  electronVersion?: string;
  /** process.versions.modules of the running Electron (its Node module ABI) */
  electronAbi?: string;
  /** the folder holding `.native/` (the project root in development) */
  appRoot: string;
  /** an installed app's resources folder (process.resourcesPath when app.isPackaged) */
  packagedResourcesDir?: string;
  exists: (path: string) => boolean;
}

export interface NativeBindingChoice {
  /** path of the addon to load; undefined = better-sqlite3's default (node_modules build) */
  path?: string;
  /** set when no usable build exists: one sentence that names the fix */
  problem?: string;
}

/** Where the Electron build for `abi` is expected, relative to `appRoot`. */
export function electronBindingPath(appRoot: string, abi: string): string {
  return join(appRoot, '.native', `electron-${abi}`, 'better_sqlite3.node');
}

/** Where an installed app carries it, relative to its resources folder. */
export function packagedBindingPath(resourcesDir: string, abi: string): string {
  return join(resourcesDir, 'native', `electron-${abi}`, 'better_sqlite3.node');
}

export function resolveNativeBinding(env: NativeBindingEnv): NativeBindingChoice {
  if (env.electronVersion === undefined) return {};
  if (!env.electronAbi) {
    return {
      problem: `Cannot tell which better-sqlite3 build Electron ${env.electronVersion} needs: its module ABI (process.versions.modules) is unknown.`,
    };
  }
  if (env.packagedResourcesDir !== undefined) {
    const packaged = packagedBindingPath(env.packagedResourcesDir, env.electronAbi);
    if (env.exists(packaged)) return { path: packaged };
    return {
      problem: `This installation of Streamtap is incomplete: its SQLite module ${packaged} is missing (Electron ${env.electronVersion}, module ABI ${env.electronAbi}). Reinstall Streamtap.`,
    };
  }
  const path = electronBindingPath(env.appRoot, env.electronAbi);
  if (env.exists(path)) return { path };
  return {
    problem:
      `better-sqlite3 has no build for Electron ${env.electronVersion} (module ABI ${env.electronAbi}): ` +
      `${path} is missing. Run \`${BUILD_NATIVE_ELECTRON_COMMAND}\` in ${env.appRoot}, then start again.`,
  };
}

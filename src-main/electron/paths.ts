// Where the desktop app finds its built files and keeps its data. The data folder is
// the one the headless server and the CLI use too (core/settings.ts defaultDataDir:
// Electron's userData for an app named "Streamtap", or STREAMTAP_DATA_DIR), so all three
// share one database and one settings file.

import path from 'node:path';
import { DB_FILE, SETTINGS_FILE } from '../core/settings.js';
import { WINDOW_STATE_FILE } from './window-state.js';

export interface AppPaths {
  /** the project root in development (holds package.json, .native/, resources/) */
  appRoot: string;
  dataDir: string;
  dbPath: string;
  settingsFile: string;
  windowStateFile: string;
  /** out/preload/index.cjs */
  preload: string;
  /** out/renderer, served as app://streamtap/ */
  rendererDir: string;
  /** out/main/migrations (copied there by the build) */
  migrationsFolder: string;
  resourcesDir: string;
  /** the 256 px window / taskbar icon */
  appIcon: string;
}

export interface AppPathsInput {
  /** the folder of the built main bundle (out/main) */
  mainDir: string;
  /** app.getAppPath() */
  appRoot: string;
  dataDir: string;
}

export function resolveAppPaths(input: AppPathsInput): AppPaths {
  const out = path.resolve(input.mainDir, '..');
  const resourcesDir = path.join(input.appRoot, 'resources');
  return {
    appRoot: input.appRoot,
    dataDir: input.dataDir,
    dbPath: path.join(input.dataDir, DB_FILE),
    settingsFile: path.join(input.dataDir, SETTINGS_FILE),
    windowStateFile: path.join(input.dataDir, WINDOW_STATE_FILE),
    preload: path.join(out, 'preload', 'index.cjs'),
    rendererDir: path.join(out, 'renderer'),
    migrationsFolder: path.join(input.mainDir, 'migrations'),
    resourcesDir,
    appIcon: path.join(resourcesDir, 'icon.png'),
  };
}

// Holds the desktop app's core for its whole run. New settings (settings.set) apply to
// it in place, the way headless applies them: a stream in flight finishes with the
// settings it started with, and only a new port rebinds the proxy. IPC is registered
// once, against `handlers`: the core's api, with the save dialog as export.run.

import type { AppStatus, Handlers, LiveEvent } from '../common/contract.js';
import { resolveConfig, type CoreConfig } from '../core/config.js';
import { createCore, ListenError, type Core, type CoreOptions } from '../core/create-core.js';
import { settingsToConfig } from '../core/settings.js';
import type { SettingsFile } from '../common/settings.js';

export interface CoreHostOptions {
  settingsFile: string;
  coreOptions?: Pick<CoreOptions, 'nativeBinding' | 'migrationsFolder'>;
  /** sends a live event to the window (and the tray) */
  push(event: LiveEvent): void;
  /** the Electron export.run (save dialog); everything else is the API model */
  exportRun: Handlers['export.run'];
  liveIntervalMs?: number;
  onError?: (message: string, err?: unknown) => void;
  /** injectable for tests */
  createCore?: typeof createCore;
}

export interface CoreHost {
  /** every contract channel: the core's api, and the save dialog as export.run */
  readonly handlers: Handlers;
  core(): Core;
  status(): AppStatus;
  /** starts the proxy; a port in use does not throw: the status carries the problem */
  start(): Promise<AppStatus>;
  /** `flushTimeoutMs` bounds the store's final write (see Core.stop) */
  stop(opts?: { flushTimeoutMs?: number }): Promise<void>;
  /** writes what is queued now, synchronously, waiting at most `timeoutMs`: for an OS
   * session end, where the process is killed as soon as the handler returns */
  flushNow(timeoutMs: number): boolean;
}

/** The desktop app's way to another port: its Settings view (there are no flags). */
export const DESKTOP_PORT_HINT = 'choose another port in Settings';

/** The desktop app's config: the settings file only (no flags, no environment), so
 * what the Settings view shows is what runs. */
export function configFromSettings(settings: SettingsFile, dbPath: string): CoreConfig {
  return resolveConfig({ ...settingsToConfig(settings), dbPath });
}

export function createCoreHost(initialConfig: CoreConfig, opts: CoreHostOptions): CoreHost {
  const makeCore = opts.createCore ?? createCore;
  const core = makeCore(initialConfig, {
    portInUseHint: DESKTOP_PORT_HINT,
    runtime: 'electron',
    settingsFile: opts.settingsFile,
    ...opts.coreOptions,
  });
  let stopped = false;

  const status = (): AppStatus => core.api['status.get']({});

  let stopFeed = core.live.subscribe(opts.push, {
    ...(opts.liveIntervalMs !== undefined ? { intervalMs: opts.liveIntervalMs } : {}),
    onError: (err) => opts.onError?.('live feed', err),
  });

  const handlers: Handlers = {
    ...core.api,
    'settings.set': (settings) => {
      if (stopped) throw new Error('Streamtap is shutting down');
      return core.api['settings.set'](settings);
    },
    'export.run': (args) => opts.exportRun(args),
  };

  return {
    handlers,
    core: () => core,
    status,
    async start() {
      try {
        await core.start();
      } catch (err) {
        // A busy port is the status's problem (the Settings view is the way out).
        if (!(err instanceof ListenError)) throw err;
      }
      return status();
    },
    async stop(stopOpts) {
      if (stopped) return;
      stopped = true;
      stopFeed();
      stopFeed = () => {};
      await core.stop(stopOpts);
    },
    flushNow(timeoutMs) {
      return core.flushNow(timeoutMs);
    },
  };
}

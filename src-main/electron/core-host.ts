// Holds the running core for the desktop app and swaps it when settings change.
//
// The core's config (port, upstreams, timeouts, limits) is fixed at creation, so
// applying new settings stops the core (its proxy closes, its store flushes and
// closes) and creates a new one on the same database file: records are never lost,
// and the live feed, the API model and the pause state move to the new core. IPC is
// registered once, against `handlers`, which always reach the current core (calls
// that arrive mid-swap wait for it to finish).

import { CHANNEL_NAMES, type AppStatus, type ChannelName, type Handlers, type LiveEvent } from '../common/contract.js';
import { buildAppStatus, createApiModel, type ApiModel } from '../core/api-model.js';
import { resolveConfig, type CoreConfig } from '../core/config.js';
import { createCore, PortInUseError, type Core, type CoreOptions } from '../core/create-core.js';
import { createLiveFeed } from '../core/live-feed.js';
import { settingsToConfig } from '../core/settings.js';
import type { Settings, SettingsFile } from '../common/settings.js';

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
  /** every contract channel, bound to whichever core is running */
  readonly handlers: Handlers;
  core(): Core;
  status(): AppStatus;
  /** starts the proxy; a port in use does not throw: the status carries the problem */
  start(): Promise<AppStatus>;
  /** stops the current core and starts one with these settings; on failure the
   * previous configuration is restored and the error rethrown */
  applySettings(settings: Settings): Promise<void>;
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
  let core!: Core;
  let model!: ApiModel;
  let stopFeed: () => void = () => {};
  let swapping: Promise<void> | null = null;
  let stopped = false;

  const status = (): AppStatus => buildAppStatus(core, 'electron');

  const bringUp = (config: CoreConfig, paused: boolean) => {
    core = makeCore(config, { portInUseHint: DESKTOP_PORT_HINT, ...opts.coreOptions });
    core.setPaused(paused);
    model = createApiModel(core, { runtime: 'electron', settingsFile: opts.settingsFile, applySettings });
    stopFeed = createLiveFeed(core, opts.push, {
      runtime: 'electron',
      getStatus: status,
      ...(opts.liveIntervalMs !== undefined ? { intervalMs: opts.liveIntervalMs } : {}),
      onError: (err) => opts.onError?.('live feed', err),
    });
  };

  const tearDown = async (stopOpts?: { flushTimeoutMs?: number }) => {
    stopFeed();
    stopFeed = () => {};
    await core.stop(stopOpts);
  };

  /** start() that reports a busy port through the status instead of throwing. */
  const startCore = async (): Promise<void> => {
    try {
      await core.start();
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err;
    }
  };

  async function applySettings(settings: Settings): Promise<void> {
    if (stopped) throw new Error('Streamtap is shutting down');
    while (swapping) await swapping.catch(() => {});
    // Validate before touching the running core: a bad value leaves it as it was.
    const next = configFromSettings(settings, core.config.dbPath);
    const previous = core.config;
    const paused = core.status().paused;
    const swap = (async () => {
      // The old core must let go of its port (and flush its store) before a new one
      // can bind the same port and open the same file.
      await tearDown().catch((e: unknown) => opts.onError?.('stopping the core', e));
      try {
        bringUp(next, paused);
        await core.start();
      } catch (err) {
        // Keep recording on the previous configuration (if its port is still free).
        // tearDown is safe on a core that is already stopped (createCore threw).
        await tearDown().catch((e: unknown) => opts.onError?.('stopping the failed core', e));
        bringUp(previous, paused);
        await startCore().catch((e: unknown) => opts.onError?.('restarting with the previous settings', e));
        throw err;
      }
    })();
    swapping = swap;
    try {
      await swap;
    } finally {
      if (swapping === swap) swapping = null;
    }
  }

  bringUp(initialConfig, false);

  const handlers = Object.fromEntries(
    CHANNEL_NAMES.map((name: ChannelName) => [
      name,
      async (args: unknown) => {
        // A call that arrives while the core is being replaced waits for the new one.
        while (swapping) await swapping.catch(() => {});
        if (name === 'export.run') return opts.exportRun(args as Parameters<Handlers['export.run']>[0]);
        const handler = model[name] as (a: unknown) => unknown;
        return handler(args);
      },
    ]),
  ) as Handlers;

  return {
    handlers,
    core: () => core,
    status,
    async start() {
      await startCore();
      return status();
    },
    applySettings,
    async stop(stopOpts) {
      stopped = true;
      while (swapping) await swapping.catch(() => {});
      await tearDown(stopOpts);
    },
    flushNow(timeoutMs) {
      return core.store.flush(timeoutMs);
    },
  };
}

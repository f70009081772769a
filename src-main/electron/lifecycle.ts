// App lifecycle rules for a tray app:
// - one instance only: a second launch focuses the first one's window and exits, so two
//   processes never fight over the port and the database;
// - closing the last window does not quit (the proxy keeps recording in the tray);
// - quitting (tray menu, Cmd+Q, OS shutdown) first stops the core cleanly — the proxy
//   closes, in-flight records are finished, the store flushes — and only then lets
//   Electron exit. A stop that hangs is cut short so Quit always quits.

import type { App } from 'electron';

export type SingleInstanceApp = Pick<App, 'requestSingleInstanceLock' | 'on'>;

/**
 * Takes the single-instance lock. Returns false when another instance holds it (the
 * caller must quit at once); otherwise calls `onSecondInstance` each time the user
 * launches Streamtap again.
 */
export function claimSingleInstance(app: SingleInstanceApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => onSecondInstance());
  return true;
}

export type QuitApp = Pick<App, 'on' | 'quit' | 'exit'>;

export interface QuitHandlingOptions {
  /** runs first on every quit attempt: lets the window really close */
  onQuitting(): void;
  /** stops the core and the tray; awaited before the app exits */
  stop(): Promise<void>;
  /** after this long, exit anyway (default 5 s) */
  timeoutMs?: number;
  onError?: (message: string, err?: unknown) => void;
}

export function installQuitHandling(app: QuitApp, opts: QuitHandlingOptions): void {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('before-quit', (event) => {
    opts.onQuitting();
    if (phase === 'stopped') return;
    // Hold the quit until the core has stopped; quit again from the callback.
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    const timer = setTimeout(() => {
      opts.onError?.('stopping took too long; exiting anyway');
      app.exit(0);
    }, opts.timeoutMs ?? 5000);
    opts
      .stop()
      .catch((err: unknown) => opts.onError?.('error while stopping', err))
      .finally(() => {
        clearTimeout(timer);
        phase = 'stopped';
        app.quit();
      });
  });
  // Without a listener Electron quits when the last window closes; a tray app stays.
  app.on('window-all-closed', () => {});
}

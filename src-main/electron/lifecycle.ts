// App lifecycle rules for a tray app:
// - one instance only: a second launch focuses the first one's window and exits, so two
//   processes never fight over the port and the database;
// - closing the last window does not quit (the proxy keeps recording in the tray);
// - quitting (tray menu, Cmd+Q, SIGINT/SIGTERM, OS shutdown on macOS and Linux) first
//   stops the core cleanly — the proxy closes, in-flight records are finished, the store
//   flushes — and only then lets Electron exit. A stop that hangs is cut short so Quit
//   always quits;
// - a Windows logoff or shutdown never emits before-quit: the OS ends the process once
//   the window's 'session-end' handler returns, so the queue is written synchronously
//   there (watchSessionEnd).

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

/** After this long a quit exits anyway. */
export const QUIT_TIMEOUT_MS = 5_000;
/**
 * The bound on the store's last write when quitting. That write blocks the main thread
 * (it waits for the writer thread synchronously), so the exit timer cannot fire during
 * it: it must end well inside QUIT_TIMEOUT_MS, leaving time for the proxy to close.
 */
export const QUIT_DRAIN_MS = 3_000;

export type QuitApp = Pick<App, 'on' | 'quit' | 'exit'>;

export interface QuitHandlingOptions {
  /** runs first on every quit attempt: lets the window really close */
  onQuitting(): void;
  /** stops the core and the tray; awaited before the app exits */
  stop(): Promise<void>;
  /** after this long, exit anyway (default QUIT_TIMEOUT_MS) */
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
    }, opts.timeoutMs ?? QUIT_TIMEOUT_MS);
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

/** The parts of a BrowserWindow that watchSessionEnd uses. */
export interface SessionEndWindow {
  on(event: 'session-end', listener: () => void): unknown;
}

/**
 * Windows only: 'session-end' is a window event (WM_ENDSESSION), and a tray app may have
 * no dashboard window open, so a hidden window that never loads a page exists just to
 * hear it. The handler must finish its work before it returns. Returns the cleanup.
 */
export function watchSessionEnd(opts: {
  platform?: NodeJS.Platform;
  createWindow(): SessionEndWindow & { destroy(): void };
  onSessionEnd(): void;
}): () => void {
  if ((opts.platform ?? process.platform) !== 'win32') return () => {};
  const win = opts.createWindow();
  win.on('session-end', () => opts.onSessionEnd());
  return () => win.destroy();
}

// The dashboard window: created on first show, hidden (not closed) when the user closes
// it so the app lives on in the tray, and destroyed only when the app quits. Its size
// and position are remembered (window-state.ts).
//
// Security settings are fixed here, not configurable: context isolation and the
// sandbox on, Node off, web security on. The preload is the page's only way to main.

import { BrowserWindow, screen, type WebFrameMain } from 'electron';
import { DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE, loadWindowState, trackWindowState } from './window-state.js';

export interface MainWindowOptions {
  /** out/preload/index.cjs */
  preload: string;
  /** the page: app://streamtap/index.html, or electron-vite's dev server in `npm run dev` */
  url: string;
  /** the JSON file that remembers size and position */
  stateFile: string;
  icon?: string | undefined;
  /** false where no tray icon can bring the window back: closing then minimises */
  closeHides?: boolean;
  /** called the first time a close minimises instead of hiding (to say why) */
  onFirstCloseMinimized?: () => void;
  /** called when the window is shown or hidden (macOS hides the Dock icon meanwhile) */
  onVisibilityChange?: (visible: boolean) => void;
  onError?: (message: string, err?: unknown) => void;
}

export interface MainWindowController {
  /** creates the window if needed, then shows, restores and focuses it */
  show(): void;
  /** creates the window if needed and shows it minimised (a login launch without a tray) */
  showMinimized(): void;
  /** the live window, or null before the first show / after it was destroyed */
  readonly window: BrowserWindow | null;
  /** once set, closing the window really closes it (the app is quitting) */
  setQuitting(quitting: boolean): void;
  /** sends to the page if there is one; silently dropped otherwise */
  send(channel: string, payload: unknown): void;
  /** the main frame of the window, for the IPC sender check */
  mainFrame(): WebFrameMain | null;
  destroy(): void;
}

export function createMainWindowController(opts: MainWindowOptions): MainWindowController {
  let win: BrowserWindow | null = null;
  let quitting = false;
  let ready = false;
  let wantVisible = false;
  let untrack: (() => void) | null = null;
  /** the remembered state was maximized: applied when the window is first revealed,
   * because maximize() on a hidden window also shows it, before the page is ready */
  let maximizeOnReveal = false;
  let revealMinimized = false;
  let toldMinimized = false;

  const create = (): BrowserWindow => {
    const saved = loadWindowState(
      opts.stateFile,
      screen.getAllDisplays().map((d) => d.workArea),
    );
    const w = new BrowserWindow({
      title: 'Streamtap',
      width: saved?.width ?? DEFAULT_WINDOW_SIZE.width,
      height: saved?.height ?? DEFAULT_WINDOW_SIZE.height,
      ...(saved?.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
      minWidth: MIN_WINDOW_SIZE.width,
      minHeight: MIN_WINDOW_SIZE.height,
      // Shown on 'ready-to-show' so the user never sees an empty white frame.
      show: false,
      backgroundColor: '#10151f',
      autoHideMenuBar: true,
      ...(opts.icon ? { icon: opts.icon } : {}),
      webPreferences: {
        preload: opts.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    });
    maximizeOnReveal = saved?.maximized === true;
    ready = false;

    w.on('close', (event) => {
      // Closing the window hides it: the proxy keeps recording and the tray stays.
      // Without a tray it is minimised instead, so the app stays reachable.
      if (quitting) return;
      event.preventDefault();
      if (opts.closeHides === false) {
        w.minimize();
        if (!toldMinimized) {
          toldMinimized = true;
          opts.onFirstCloseMinimized?.();
        }
      } else {
        w.hide();
      }
    });
    w.on('show', () => opts.onVisibilityChange?.(true));
    w.on('hide', () => opts.onVisibilityChange?.(false));
    w.on('closed', () => {
      untrack?.();
      untrack = null;
      if (win === w) win = null;
      opts.onVisibilityChange?.(false);
    });
    w.once('ready-to-show', () => {
      ready = true;
      if (wantVisible) reveal(w);
    });
    w.webContents.on('did-fail-load', (_e, code, description, url) => {
      opts.onError?.(`the dashboard failed to load ${url}: ${description} (${code})`);
    });
    let lastReload = 0;
    w.webContents.on('render-process-gone', (_e, details) => {
      // Reload after a crash, but not in a loop if the page crashes at once again.
      const now = Date.now();
      const reload = !w.isDestroyed() && details.reason !== 'clean-exit' && now - lastReload > 10_000;
      opts.onError?.(`the dashboard's renderer stopped (${details.reason})${reload ? '; reloading' : ''}`);
      if (reload) {
        lastReload = now;
        w.webContents.reload();
      }
    });
    untrack = trackWindowState(w, opts.stateFile, { onError: (err) => opts.onError?.('cannot save the window position', err) });

    w.loadURL(opts.url).catch((err: unknown) => opts.onError?.('cannot load the dashboard', err));
    return w;
  };

  const reveal = (w: BrowserWindow) => {
    if (w.isDestroyed()) return;
    if (revealMinimized) {
      revealMinimized = false;
      w.showInactive();
      w.minimize();
      return;
    }
    if (w.isMinimized()) w.restore();
    if (maximizeOnReveal) {
      maximizeOnReveal = false;
      w.maximize();
    }
    w.show();
    w.focus();
  };

  return {
    show() {
      wantVisible = true;
      revealMinimized = false;
      if (!win || win.isDestroyed()) win = create();
      if (ready) reveal(win);
    },
    showMinimized() {
      wantVisible = true;
      revealMinimized = true;
      if (!win || win.isDestroyed()) win = create();
      if (ready) reveal(win);
    },
    get window() {
      return win && !win.isDestroyed() ? win : null;
    },
    setQuitting(q) {
      quitting = q;
    },
    send(channel, payload) {
      if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
      win.webContents.send(channel, payload);
    },
    mainFrame() {
      if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return null;
      return win.webContents.mainFrame;
    },
    destroy() {
      quitting = true;
      if (win && !win.isDestroyed()) win.destroy();
      win = null;
    },
  };
}

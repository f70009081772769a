// Window lifecycle with a mocked `electron`: closing hides the window (the app lives on
// in the tray) unless the app is quitting; a second launch shows and focuses the first
// instance's window; quitting waits for the core to stop; the window is created with
// the security settings fixed on.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';

const electron = vi.hoisted(() => {
  const windows: unknown[] = [];
  return { windows, displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] };
});

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  class FakeWebContents extends Emitter {
    mainFrame = { url: 'file:///app/out/renderer/index.html', processId: 3, routingId: 1 };
    send = vi.fn();
    reload = vi.fn();
    isDestroyed = () => false;
  }
  class FakeBrowserWindow extends Emitter {
    webContents = new FakeWebContents();
    visible = false;
    minimized = false;
    maximized = false;
    destroyed = false;
    bounds = { x: 10, y: 20, width: 1000, height: 700 };
    show = vi.fn(() => {
      this.visible = true;
      this.emit('show');
    });
    hide = vi.fn(() => {
      this.visible = false;
      this.emit('hide');
    });
    focus = vi.fn();
    restore = vi.fn(() => {
      this.minimized = false;
    });
    // as in Electron: maximizing a hidden window also shows it
    minimize = vi.fn(() => {
      this.minimized = true;
    });
    showInactive = vi.fn(() => {
      this.visible = true;
      this.emit('show');
    });
    maximize = vi.fn(() => {
      this.maximized = true;
      if (!this.visible) {
        this.visible = true;
        this.emit('show');
      }
    });
    loadFile = vi.fn(async () => {});
    loadURL = vi.fn(async () => {});
    constructor(readonly options: Record<string, unknown>) {
      super();
      electron.windows.push(this);
    }
    isMinimized = () => this.minimized;
    isMaximized = () => this.maximized;
    isDestroyed = () => this.destroyed;
    getNormalBounds = () => this.bounds;
    destroy = vi.fn(() => {
      this.destroyed = true;
      this.emit('closed');
    });
    /** what Electron does when the user clicks the close button */
    userClose() {
      let prevented = false;
      this.emit('close', { preventDefault: () => (prevented = true) });
      if (!prevented) {
        this.destroyed = true;
        this.emit('closed');
      }
      return !prevented;
    }
  }
  return {
    BrowserWindow: FakeBrowserWindow,
    screen: { getAllDisplays: () => electron.displays },
  };
});

const { createMainWindowController } = await import('../../src-main/electron/windows.js');
const { claimSingleInstance, installQuitHandling } = await import('../../src-main/electron/lifecycle.js');

type FakeWindow = EventEmitter & {
  options: { x?: number; y?: number; width: number; height: number; show: boolean; webPreferences: Record<string, unknown> };
  visible: boolean;
  minimized: boolean;
  show: ReturnType<typeof vi.fn>;
  hide: ReturnType<typeof vi.fn>;
  focus: ReturnType<typeof vi.fn>;
  restore: ReturnType<typeof vi.fn>;
  loadFile: ReturnType<typeof vi.fn>;
  maximize: ReturnType<typeof vi.fn>;
  minimize: ReturnType<typeof vi.fn>;
  showInactive: ReturnType<typeof vi.fn>;
  loadURL: ReturnType<typeof vi.fn>;
  webContents: EventEmitter & { send: ReturnType<typeof vi.fn>; mainFrame: unknown };
  userClose(): boolean;
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-window-'));
  electron.windows.length = 0;
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function controller(over: { url?: string; onVisibilityChange?: (visible: boolean) => void; closeHides?: boolean; onFirstCloseMinimized?: () => void } = {}) {
  return createMainWindowController({
    preload: '/app/out/preload/index.cjs',
    url: 'app://streamtap/index.html',
    stateFile: path.join(dir, 'window-state.json'),
    ...over,
  });
}

function lastWindow(): FakeWindow {
  return electron.windows.at(-1) as FakeWindow;
}

describe('main window', () => {
  it('is created on first show with context isolation, the sandbox and web security on, Node off', () => {
    const c = controller();
    expect(c.window).toBeNull();
    c.show();
    const prefs = lastWindow().options.webPreferences;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(lastWindow().loadURL).toHaveBeenCalledWith('app://streamtap/index.html');
  });

  it('loads the app from app://streamtap, never from file://', () => {
    controller().show();
    expect(lastWindow().loadURL).toHaveBeenCalledWith('app://streamtap/index.html');
    expect(lastWindow().loadFile).not.toHaveBeenCalled();
  });

  it('loads the dev server URL in electron-vite dev', () => {
    controller({ url: 'http://localhost:5173' }).show();
    expect(lastWindow().loadURL).toHaveBeenCalledWith('http://localhost:5173');
    expect(lastWindow().loadFile).not.toHaveBeenCalled();
  });

  it('a window remembered maximized stays hidden until the page is ready, then opens maximized', () => {
    fs.writeFileSync(path.join(dir, 'window-state.json'), JSON.stringify({ x: 10, y: 20, width: 900, height: 600, maximized: true }));
    const c = controller();
    c.show();
    const w = lastWindow();
    expect(w.visible).toBe(false);
    expect(w.maximize).not.toHaveBeenCalled();
    w.emit('ready-to-show');
    expect(w.maximize).toHaveBeenCalledTimes(1);
    expect(w.visible).toBe(true);
    // once: a later hide and show does not maximize again (the user may have restored it)
    w.userClose();
    c.show();
    expect(w.maximize).toHaveBeenCalledTimes(1);
  });

  it('reports when the window is shown and hidden (the macOS Dock follows it)', () => {
    const seen: boolean[] = [];
    const c = controller({ onVisibilityChange: (v) => seen.push(v) });
    c.show();
    const w = lastWindow();
    w.emit('ready-to-show');
    w.userClose();
    c.show();
    c.destroy();
    expect(seen).toEqual([true, false, true, false]);
  });

  it('shows only once the page is ready, then focuses it', () => {
    const c = controller();
    c.show();
    const w = lastWindow();
    expect(w.options.show).toBe(false);
    expect(w.show).not.toHaveBeenCalled();
    w.emit('ready-to-show');
    expect(w.show).toHaveBeenCalledTimes(1);
    expect(w.focus).toHaveBeenCalledTimes(1);
  });

  it('closing hides the window instead of closing it', () => {
    const c = controller();
    c.show();
    const w = lastWindow();
    w.emit('ready-to-show');
    expect(w.userClose()).toBe(false);
    expect(w.hide).toHaveBeenCalledTimes(1);
    expect(c.window).toBe(w);
  });

  it('without a tray, closing minimises instead of hiding, and says why the first time', () => {
    const told = vi.fn();
    const c = controller({ closeHides: false, onFirstCloseMinimized: told });
    c.show();
    const w = lastWindow();
    w.emit('ready-to-show');
    expect(w.userClose()).toBe(false);
    expect(w.minimize).toHaveBeenCalledTimes(1);
    expect(w.hide).not.toHaveBeenCalled();
    expect(w.visible).toBe(true);
    w.userClose();
    expect(w.minimize).toHaveBeenCalledTimes(2);
    expect(told).toHaveBeenCalledTimes(1);
    c.show();
    expect(w.restore).toHaveBeenCalled();
  });

  it('showMinimized: a login launch without a tray waits for the page, then sits minimised in the taskbar', () => {
    const c = controller({ closeHides: false });
    c.showMinimized();
    const w = lastWindow();
    expect(w.showInactive).not.toHaveBeenCalled();
    w.emit('ready-to-show');
    expect(w.showInactive).toHaveBeenCalledTimes(1);
    expect(w.minimize).toHaveBeenCalledTimes(1);
    expect(w.focus).not.toHaveBeenCalled();
  });

  it('closing really closes once the app is quitting', () => {
    const c = controller();
    c.show();
    const w = lastWindow();
    c.setQuitting(true);
    expect(w.userClose()).toBe(true);
    expect(w.hide).not.toHaveBeenCalled();
    expect(c.window).toBeNull();
  });

  it('show() after a hide brings back the same window, restored and focused, without reloading', () => {
    const c = controller();
    c.show();
    const w = lastWindow();
    w.emit('ready-to-show');
    w.userClose();
    w.minimized = true;
    c.show();
    expect(electron.windows).toHaveLength(1);
    expect(w.restore).toHaveBeenCalled();
    expect(w.show).toHaveBeenCalledTimes(2);
    expect(w.focus).toHaveBeenCalledTimes(2);
    expect(w.loadURL).toHaveBeenCalledTimes(1);
  });

  it('sends live events to the page only while there is one', () => {
    const c = controller();
    c.send('streamtap:live.events', { type: 'status' });
    c.show();
    c.send('streamtap:live.events', { type: 'records', changes: [] });
    expect(lastWindow().webContents.send).toHaveBeenCalledTimes(1);
    expect(lastWindow().webContents.send).toHaveBeenCalledWith('streamtap:live.events', { type: 'records', changes: [] });
  });

  it('remembers its size and position, and reopens there', () => {
    const c = controller();
    c.show();
    const w = lastWindow();
    c.setQuitting(true);
    w.userClose();
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'window-state.json'), 'utf8'));
    expect(saved).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: false });
    controller().show();
    expect(lastWindow().options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 });
  });

  it('ignores a remembered position that is off every display, keeping the size', () => {
    fs.writeFileSync(path.join(dir, 'window-state.json'), JSON.stringify({ x: 5000, y: 3000, width: 900, height: 600, maximized: false }));
    controller().show();
    const opts = lastWindow().options;
    expect(opts.width).toBe(900);
    expect(opts.height).toBe(600);
    expect(opts.x).toBeUndefined();
    expect(opts.y).toBeUndefined();
  });
});

function fakeApp() {
  const app = new EventEmitter() as EventEmitter & {
    requestSingleInstanceLock: Mock<() => boolean>;
    quit: Mock<() => void>;
    exit: Mock<(code?: number) => void>;
  };
  app.requestSingleInstanceLock = vi.fn(() => true);
  app.quit = vi.fn(() => {
    let prevented = false;
    app.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) app.emit('quit');
  });
  app.exit = vi.fn();
  return app;
}

describe('single instance', () => {
  it('a second launch shows and focuses the first instance window', () => {
    const app = fakeApp();
    const c = controller();
    expect(claimSingleInstance(app as never, () => c.show())).toBe(true);
    c.show();
    const w = lastWindow();
    w.emit('ready-to-show');
    w.userClose();
    w.minimized = true;
    app.emit('second-instance', {}, ['streamtap'], '/');
    expect(w.restore).toHaveBeenCalled();
    expect(w.show).toHaveBeenCalledTimes(2);
    expect(w.focus).toHaveBeenCalledTimes(2);
  });

  it('reports that another instance holds the lock, so this one can exit', () => {
    const app = fakeApp();
    app.requestSingleInstanceLock.mockReturnValue(false);
    const onSecond = vi.fn();
    expect(claimSingleInstance(app as never, onSecond)).toBe(false);
    expect(app.listenerCount('second-instance')).toBe(0);
  });
});

describe('quitting', () => {
  it('holds the quit until the core has stopped, then quits for real and lets the window close', async () => {
    const app = fakeApp();
    const c = controller();
    c.show();
    const w = lastWindow();
    let finishStop!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    const onQuit = vi.fn();
    app.on('quit', onQuit);
    installQuitHandling(app as never, { onQuitting: () => c.setQuitting(true), stop });

    app.quit();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(onQuit).not.toHaveBeenCalled();
    app.quit(); // a second Quit while stopping does not stop twice
    expect(stop).toHaveBeenCalledTimes(1);

    finishStop();
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1));
    expect(w.userClose()).toBe(true);
  });

  it('exits anyway when stopping hangs', async () => {
    vi.useFakeTimers();
    try {
      const app = fakeApp();
      installQuitHandling(app as never, { onQuitting: () => {}, stop: () => new Promise(() => {}), timeoutMs: 2000 });
      app.quit();
      vi.advanceTimersByTime(2000);
      expect(app.exit).toHaveBeenCalledWith(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not quit when the last window closes', () => {
    const app = fakeApp();
    installQuitHandling(app as never, { onQuitting: () => {}, stop: async () => {} });
    expect(app.listenerCount('window-all-closed')).toBe(1);
    app.emit('window-all-closed');
    expect(app.quit).not.toHaveBeenCalled();
  });
});

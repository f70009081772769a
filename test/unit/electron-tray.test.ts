// The tray menu with a mocked `electron`: each item does what it says (copy the base
// URLs to the clipboard, pause and resume recording, start at login, quit), a problem
// shows as a disabled line, and the tooltip carries port, requests today and live streams.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { AppStatus } from '../../src-main/common/contract.js';

const electron = vi.hoisted(() => {
  const state = {
    trays: [] as FakeTray[],
    menus: [] as MenuItemConstructorOptions[][],
    loginItem: { openAtLogin: false, wasOpenedAtLogin: false, key: '' },
  };
  class FakeTray {
    tooltip = '';
    menu: MenuItemConstructorOptions[] | null = null;
    listeners = new Map<string, () => void>();
    destroyed = false;
    constructor(readonly image: unknown) {
      state.trays.push(this);
    }
    setToolTip(t: string) {
      this.tooltip = t;
    }
    setContextMenu(m: MenuItemConstructorOptions[]) {
      this.menu = m;
    }
    on(event: string, l: () => void) {
      this.listeners.set(event, l);
    }
    destroy() {
      this.destroyed = true;
    }
  }
  return {
    state,
    FakeTray,
    clipboard: { writeText: vi.fn() },
    app: {
      quit: vi.fn(),
      // Like Windows: an item is its path and arguments; asking about other ones
      // (or none) finds nothing.
      getLoginItemSettings: vi.fn((q?: { path?: string; args?: string[] }) => ({
        ...state.loginItem,
        openAtLogin: state.loginItem.openAtLogin && JSON.stringify([q?.path, q?.args]) === state.loginItem.key,
      })),
      setLoginItemSettings: vi.fn((s: { openAtLogin: boolean; path?: string; args?: string[] }) => {
        state.loginItem.openAtLogin = s.openAtLogin;
        state.loginItem.key = JSON.stringify([s.path, s.args]);
      }),
    },
    nativeImage: { createFromPath: vi.fn((p: string) => ({ path: p, setTemplateImage: vi.fn() })) },
  };
});

vi.mock('electron', () => ({
  Tray: electron.FakeTray,
  Menu: {
    // The real Menu is opaque; the template is what the tests click through.
    buildFromTemplate: (template: MenuItemConstructorOptions[]) => {
      electron.state.menus.push(template);
      return template;
    },
  },
  clipboard: electron.clipboard,
  app: electron.app,
  nativeImage: electron.nativeImage,
}));

const { createTray, trayTooltip } = await import('../../src-main/electron/tray.js');
const { createLoginItem } = await import('../../src-main/electron/login-item.js');

function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    listening: true,
    port: 7788,
    baseUrl: 'http://127.0.0.1:7788',
    paused: false,
    live: 2,
    droppedWrites: 0,
    requestsToday: 42,
    storeDegraded: false,
    storeError: null,
    queuedWrites: 0,
    problem: null,
    dbPath: '/data/streamtap.db',
    dbBytes: 5 * 1024 * 1024 + 300 * 1024,
    runtime: 'electron',
    ...over,
  };
}

function menu(): MenuItemConstructorOptions[] {
  const tray = electron.state.trays.at(-1)!;
  return tray.menu!;
}

function item(id: string): MenuItemConstructorOptions {
  const found = menu().find((i) => i.id === id);
  if (!found) throw new Error(`no menu item ${id}: ${menu().map((i) => i.id).join(', ')}`);
  return found;
}

/** Clicks like Electron does: a checkbox flips before its click handler runs. */
function click(id: string) {
  const it = item(id);
  const menuItem = { ...it, checked: it.type === 'checkbox' ? !it.checked : it.checked };
  (it.click as unknown as (mi: typeof menuItem) => void)(menuItem);
}

beforeEach(() => {
  electron.state.trays.length = 0;
  electron.state.menus.length = 0;
  electron.state.loginItem = { openAtLogin: false, wasOpenedAtLogin: false, key: '' };
  vi.clearAllMocks();
});

afterEach(() => {
  vi.useRealTimers();
});

function makeTray(platform: NodeJS.Platform = 'win32', initial: AppStatus | null = status(), isPackaged = true) {
  const core = { paused: false, setPaused: vi.fn((p: boolean) => (core.paused = p)) };
  const openDashboard = vi.fn();
  const loginItem = createLoginItem(electron.app as never, { platform, isPackaged, execPath: 'C:\\Program Files\\Streamtap\\Streamtap.exe', env: {}, homeDir: '/home/u', appName: 'Streamtap' });
  const tray = createTray({
    resourcesDir: '/app/resources',
    platform,
    loginItem,
    initialStatus: initial,
    actions: { openDashboard, setPaused: (p) => core.setPaused(p) },
  });
  return { tray, core, openDashboard };
}

describe('tray menu', () => {
  it('copies the OpenAI base URL (with /v1) and the Anthropic base URL (without) to the clipboard', () => {
    makeTray();
    click('copy-openai');
    expect(electron.clipboard.writeText).toHaveBeenLastCalledWith('http://127.0.0.1:7788/v1');
    click('copy-anthropic');
    expect(electron.clipboard.writeText).toHaveBeenLastCalledWith('http://127.0.0.1:7788');
  });

  it('copies the URL of the port actually in use after the port changes', () => {
    const { tray } = makeTray();
    tray.update(status({ port: 9100, baseUrl: 'http://127.0.0.1:9100' }));
    click('copy-openai');
    expect(electron.clipboard.writeText).toHaveBeenLastCalledWith('http://127.0.0.1:9100/v1');
  });

  it('pause toggles the core paused, and the checkbox follows the status', () => {
    const { tray, core } = makeTray();
    expect(item('pause').checked).toBe(false);
    click('pause');
    expect(core.setPaused).toHaveBeenLastCalledWith(true);
    expect(core.paused).toBe(true);
    tray.update(status({ paused: true }));
    expect(item('pause').checked).toBe(true);
    click('pause');
    expect(core.setPaused).toHaveBeenLastCalledWith(false);
    expect(core.paused).toBe(false);
  });

  it('quit calls app.quit', () => {
    makeTray();
    click('quit');
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
  });

  it('open dashboard calls the action, and so does a left click on Windows', () => {
    const { openDashboard } = makeTray('win32');
    click('open');
    expect(openDashboard).toHaveBeenCalledTimes(1);
    electron.state.trays.at(-1)!.listeners.get('click')!();
    expect(openDashboard).toHaveBeenCalledTimes(2);
  });

  it('Windows: start at login registers the app with --hidden, reads back the same item, and turns off', () => {
    makeTray('win32');
    expect(item('login').checked).toBe(false);
    click('login');
    const registered = { path: 'C:\\Program Files\\Streamtap\\Streamtap.exe', args: ['--hidden'] };
    expect(electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, ...registered });
    expect(electron.app.getLoginItemSettings).toHaveBeenLastCalledWith(registered);
    expect(item('login').checked).toBe(true);
    click('login');
    expect(electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: false, ...registered });
    expect(item('login').checked).toBe(false);
  });

  it('macOS: start at login sets the login item and re-checks the box', () => {
    makeTray('darwin');
    click('login');
    expect(electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true });
    expect(item('login').checked).toBe(true);
  });

  it('offers no start-at-login item when not packaged (it would register bare Electron)', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      makeTray(platform, status(), false);
      expect(menu().some((i) => i.id === 'login'), platform).toBe(false);
    }
    expect(electron.app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('shows a problem as a disabled line at the top, and disables copying while not listening', () => {
    const { tray } = makeTray();
    expect(menu().some((i) => i.id === 'problem')).toBe(false);
    tray.update(status({ listening: false, port: null, baseUrl: null, problem: 'port 7788 on 127.0.0.1 is already in use' }));
    expect(menu()[0]).toMatchObject({ id: 'problem', enabled: false });
    expect(String(menu()[0]!.label)).toContain('port 7788 on 127.0.0.1 is already in use');
    expect(item('copy-openai').enabled).toBe(false);
    click('copy-openai');
    expect(electron.clipboard.writeText).not.toHaveBeenCalled();
  });

  it('rebuilds the menu only when what it shows changes (an open menu would close)', () => {
    const { tray } = makeTray();
    const before = electron.state.menus.length;
    tray.update(status({ live: 5, requestsToday: 43 }));
    expect(electron.state.menus.length).toBe(before);
    tray.update(status({ paused: true }));
    expect(electron.state.menus.length).toBe(before + 1);
  });

  it('uses the template icon on macOS, the 16 px coloured one on Windows and the 24 px one on Linux', () => {
    makeTray('darwin');
    makeTray('win32');
    makeTray('linux');
    const paths = electron.nativeImage.createFromPath.mock.calls.map((c) => c[0]);
    expect(paths[0]).toMatch(/trayTemplate\.png$/);
    expect(paths[1]).toMatch(/[/\\]tray\.png$/);
    expect(paths[2]).toMatch(/[/\\]tray-24\.png$/);
  });
});

describe('tray snapshot', () => {
  it('reports the tooltip and menu labels the tray shows, and when it is gone', () => {
    const { tray } = makeTray('linux');
    const snap = tray.snapshot();
    expect(snap.tooltip).toBe(trayTooltip(status()));
    expect(snap.items).toEqual(expect.arrayContaining(['Open dashboard', 'Copy OpenAI base URL (http://127.0.0.1:7788/v1)', 'Pause recording', 'Quit Streamtap']));
    tray.update(status({ listening: false, port: null, baseUrl: null, problem: 'port 7788 on 127.0.0.1 is already in use' }));
    expect(tray.snapshot().items[0]).toBe('⚠ port 7788 on 127.0.0.1 is already in use');
    tray.destroy();
    expect(tray.snapshot().destroyed).toBe(true);
  });
});

describe('tray tooltip', () => {
  it('shows port, requests today, live streams and the database size', () => {
    expect(trayTooltip(status())).toBe('Streamtap — 127.0.0.1:7788\n42 requests today · 2 live streams\nDatabase 5.3 MiB');
    expect(trayTooltip(status({ requestsToday: 1, live: 1, paused: true, dbBytes: 3 * 1024 ** 3 }))).toBe(
      'Streamtap — 127.0.0.1:7788\n1 request today · 1 live stream\nDatabase 3.00 GiB\nRecording paused',
    );
  });

  it('shows the problem instead when there is one, within the Windows length limit', () => {
    const text = trayTooltip(status({ problem: 'x'.repeat(300) }));
    expect(text.startsWith('Streamtap — xxx')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(127);
  });

  it('is refreshed on status changes, at most once per interval', () => {
    vi.useFakeTimers();
    const { tray } = makeTray('win32', status({ requestsToday: 1 }));
    const fake = electron.state.trays.at(-1)!;
    expect(fake.tooltip).toContain('1 request today');
    tray.update(status({ requestsToday: 2 }));
    tray.update(status({ requestsToday: 3 }));
    // Within the first second: still the first text.
    expect(fake.tooltip).toContain('1 request today');
    vi.advanceTimersByTime(1000);
    expect(fake.tooltip).toContain('3 requests today');
    // The database growing alone refreshes it too.
    tray.update(status({ requestsToday: 3, dbBytes: 2048 }));
    vi.advanceTimersByTime(1000);
    expect(fake.tooltip).toContain('Database 2.0 KiB');
    tray.destroy();
    expect(fake.destroyed).toBe(true);
  });
});

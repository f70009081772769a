// The application menu has the app's own items only (no Reload or developer tools
// outside `npm run dev`), keeps the Edit commands text fields need, and Quit goes
// through the app's quit path; the macOS Dock icon follows the window.

import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate } from '../../src-main/electron/app-menu.js';
import { createDockPolicy } from '../../src-main/electron/dock.js';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((i) => [...(i.role ? [i.role] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu) : [])]);
}

const DEV_ONLY = ['reload', 'forceReload', 'toggleDevTools'];

describe('application menu', () => {
  for (const platform of ['darwin', 'win32', 'linux'] as const) {
    it(`${platform}: no reload or developer tools, but quit, edit and zoom`, () => {
      const r = roles(appMenuTemplate({ platform, appName: 'Streamtap', dev: false, openDashboard: () => {} }));
      for (const role of DEV_ONLY) expect(r).not.toContain(role);
      expect(r).toEqual(expect.arrayContaining(['quit', 'editMenu', 'zoomIn', 'zoomOut', 'resetZoom']));
    });
  }

  it('adds reload and the developer tools in npm run dev only', () => {
    const r = roles(appMenuTemplate({ platform: 'linux', appName: 'Streamtap', dev: true, openDashboard: () => {} }));
    expect(r).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('macOS: the app menu opens the dashboard, and has About, Hide and Quit', () => {
    const openDashboard = vi.fn();
    const [appMenu] = appMenuTemplate({ platform: 'darwin', appName: 'Streamtap', dev: false, openDashboard });
    expect(appMenu!.label).toBe('Streamtap');
    const items = appMenu!.submenu as MenuItemConstructorOptions[];
    expect(roles(items)).toEqual(expect.arrayContaining(['about', 'hide', 'quit']));
    const open = items.find((i) => i.label === 'Open Dashboard')!;
    (open.click as () => void)();
    expect(openDashboard).toHaveBeenCalled();
  });
});

describe('Dock icon (macOS)', () => {
  it('shows while the window is visible and hides with it, once per change', () => {
    const dock = { show: vi.fn(async () => {}), hide: vi.fn() };
    const follow = createDockPolicy(dock);
    follow(false);
    follow(false);
    follow(true);
    follow(true);
    follow(false);
    expect(dock.hide).toHaveBeenCalledTimes(2);
    expect(dock.show).toHaveBeenCalledTimes(1);
  });

  it('does nothing where there is no Dock', () => {
    expect(() => createDockPolicy(undefined)(true)).not.toThrow();
  });
});

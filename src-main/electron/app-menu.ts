// The application menu. Electron's default one carries Reload, Force Reload and Toggle
// Developer Tools, which a user can hit by accident (Ctrl+R reloads the dashboard
// mid-export) and which open a console onto the app's page. This one has the app's own
// items only: quit, the edit commands text fields need (macOS routes Cmd+C/V/X/A
// through the Edit menu: without it copying from a field does nothing), zoom, and the
// window commands. Reload and the developer tools appear only in `npm run dev`.

import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** electron-vite dev: add Reload and the developer tools */
  dev: boolean;
  openDashboard(): void;
}

export function appMenuTemplate(opts: AppMenuOptions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...(opts.dev ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  if (mac) {
    return [
      {
        label: opts.appName,
        submenu: [
          { role: 'about' },
          { type: 'separator' },
          { label: 'Open Dashboard', accelerator: 'CmdOrCtrl+1', click: () => opts.openDashboard() },
          { type: 'separator' },
          { role: 'hide' },
          { role: 'hideOthers' },
          { role: 'unhide' },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      view,
      { role: 'windowMenu' },
    ];
  }
  return [
    {
      label: 'File',
      submenu: [{ role: 'close', label: 'Close Window' }, { type: 'separator' }, { role: 'quit', label: `Quit ${opts.appName}` }],
    },
    { role: 'editMenu' },
    view,
  ];
}

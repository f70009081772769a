// "Start at login". Electron supports login items on macOS and Windows only; on Linux
// the menu item is hidden rather than offered and silently ignored.
//
// A login launch starts hidden (in the tray): Windows passes our `--hidden` argument;
// macOS reports wasOpenedAtLogin.

import type { App } from 'electron';

export const HIDDEN_ARG = '--hidden';

export type LoginItemApp = Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;

export function loginItemSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'darwin' || platform === 'win32';
}

export function getOpenAtLogin(app: LoginItemApp, platform: NodeJS.Platform = process.platform): boolean {
  if (!loginItemSupported(platform)) return false;
  try {
    return app.getLoginItemSettings().openAtLogin;
  } catch {
    return false;
  }
}

export function setOpenAtLogin(app: LoginItemApp, enabled: boolean, platform: NodeJS.Platform = process.platform): void {
  if (!loginItemSupported(platform)) return;
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
}

/** True when this launch should stay in the tray instead of opening the window. */
export function launchedHidden(app: LoginItemApp, argv: readonly string[], platform: NodeJS.Platform = process.platform): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  if (platform !== 'darwin') return false;
  try {
    return app.getLoginItemSettings().wasOpenedAtLogin === true;
  } catch {
    return false;
  }
}

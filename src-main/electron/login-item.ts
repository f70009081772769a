// "Start at login", for an installed app only: run unpackaged (`npm start`), the login
// item would register the bare Electron binary, which at login opens Electron's default
// app rather than Streamtap, so the option is not offered there.
//
// - Windows: a Run registry value. Electron identifies it by executable path AND
//   arguments, so the same `path` and `args` go to both set and get; otherwise get asks
//   about a different item, the box never shows checked and it cannot be turned off.
// - macOS: a login item for the app bundle; a login launch reports wasOpenedAtLogin.
// - Linux: Electron has no login items; the XDG convention is a `.desktop` file in
//   ~/.config/autostart, which every desktop (GNOME, KDE, Xfce…) runs at login. For an
//   AppImage it names the AppImage file (process.execPath points into its temporary
//   mount, which changes every run).
//
// A login launch starts hidden (in the tray): Windows and Linux pass our `--hidden`.

import fs from 'node:fs';
import path from 'node:path';
import type { App } from 'electron';

export const HIDDEN_ARG = '--hidden';
export const AUTOSTART_FILE = 'streamtap.desktop';

export type LoginItemApp = Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;

export interface LoginItemEnv {
  platform: NodeJS.Platform;
  /** app.isPackaged */
  isPackaged: boolean;
  /** process.execPath */
  execPath: string;
  /** process.env: APPIMAGE, XDG_CONFIG_HOME */
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  appName: string;
}

export interface LoginItem {
  /** whether the menu offers the option */
  readonly supported: boolean;
  get(): boolean;
  set(enabled: boolean): void;
}

/** Quotes one argument of a desktop entry's Exec key (Desktop Entry spec, "Exec"). */
export function desktopExecArg(arg: string): string {
  if (!/[\s"'\\`$<>~|&;*?#()]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartFile(env: Pick<LoginItemEnv, 'env' | 'homeDir'>): string {
  const config = env.env['XDG_CONFIG_HOME'] || path.join(env.homeDir, '.config');
  return path.join(config, 'autostart', AUTOSTART_FILE);
}

export function autostartEntry(env: LoginItemEnv): string {
  const target = env.env['APPIMAGE'] || env.execPath;
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${env.appName}`,
    'Comment=Records LLM traffic through a local proxy',
    `Exec=${desktopExecArg(target)} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Our autostart file, unless the user (or a settings app) disabled it in place. */
function autostartEnabled(text: string): boolean {
  return !/^\s*Hidden\s*=\s*true\s*$/im.test(text) && !/^\s*X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
}

export function createLoginItem(app: LoginItemApp, env: LoginItemEnv, fsImpl: Pick<typeof fs, 'readFileSync' | 'writeFileSync' | 'renameSync' | 'rmSync' | 'mkdirSync'> = fs): LoginItem {
  const unsupported: LoginItem = { supported: false, get: () => false, set: () => {} };
  if (!env.isPackaged) return unsupported;
  switch (env.platform) {
    case 'win32': {
      const item = { path: env.execPath, args: [HIDDEN_ARG] };
      return {
        supported: true,
        get: () => {
          try {
            return app.getLoginItemSettings(item).openAtLogin;
          } catch {
            return false;
          }
        },
        set: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, ...item }),
      };
    }
    case 'darwin':
      return {
        supported: true,
        get: () => {
          try {
            return app.getLoginItemSettings().openAtLogin;
          } catch {
            return false;
          }
        },
        set: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled }),
      };
    case 'linux': {
      const file = autostartFile(env);
      return {
        supported: true,
        get: () => {
          try {
            return autostartEnabled(fsImpl.readFileSync(file, 'utf8'));
          } catch {
            return false;
          }
        },
        set: (enabled) => {
          if (!enabled) {
            fsImpl.rmSync(file, { force: true });
            return;
          }
          fsImpl.mkdirSync(path.dirname(file), { recursive: true });
          // temp file + rename: a session that starts meanwhile never reads half a file
          const tmp = `${file}.${process.pid}.tmp`;
          fsImpl.writeFileSync(tmp, autostartEntry(env));
          fsImpl.renameSync(tmp, file);
        },
      };
    }
    default:
      return unsupported;
  }
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

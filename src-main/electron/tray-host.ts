// Whether a tray icon will be visible at all. On Linux, Electron's tray is a
// StatusNotifierItem (D-Bus), shown only when a status-notifier host has registered with
// org.kde.StatusNotifierWatcher: KDE, Xfce, Cinnamon and most panels have one; GNOME
// has none unless the AppIndicator extension is installed. Without one the icon is
// silently absent, and a window that hides on close would leave no way back but
// relaunching. Asked through `gdbus` (GLib) or `dbus-send`, one of which every D-Bus
// desktop has; if neither answers, the answer is "unknown" and the app behaves as if
// there were a tray (an X11 desktop may still show it in a legacy XEmbed tray).

import { execFile } from 'node:child_process';

export type TrayHost = 'available' | 'missing' | 'unknown';

/** Runs a command; null when it cannot be run (not installed), else its exit and output. */
export type RunCommand = (file: string, args: string[]) => Promise<{ ok: boolean; stdout: string } | null>;

const WATCHER = 'org.kde.StatusNotifierWatcher';

export const runCommand: RunCommand = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 2_000, windowsHide: true }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve(null);
      else resolve({ ok: !err, stdout: String(stdout) });
    });
  });

/** true / false from `(true,)`, `(<true>,)` (gdbus) or `boolean true` / `variant boolean true` (dbus-send). */
function parseBool(stdout: string): boolean | null {
  const m = /\b(true|false)\b/.exec(stdout);
  return m ? m[1] === 'true' : null;
}

async function ask(run: RunCommand, gdbus: string[], dbusSend: string[]): Promise<boolean | null> {
  for (const [file, args] of [
    ['gdbus', gdbus],
    ['dbus-send', dbusSend],
  ] as const) {
    const r = await run(file, args);
    if (r === null) continue;
    return r.ok ? parseBool(r.stdout) : null;
  }
  return null;
}

export interface TrayHostEnv {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  run?: RunCommand;
}

export async function detectTrayHost(opts: TrayHostEnv): Promise<TrayHost> {
  if (opts.platform !== 'linux') return 'available';
  const run = opts.run ?? runCommand;
  const hasWatcher = await ask(
    run,
    ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', WATCHER],
    ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${WATCHER}`],
  );
  if (hasWatcher === null) return 'unknown';
  if (hasWatcher) {
    const hostRegistered = await ask(
      run,
      ['call', '--session', '--dest', WATCHER, '--object-path', '/StatusNotifierWatcher', '--method', 'org.freedesktop.DBus.Properties.Get', WATCHER, 'IsStatusNotifierHostRegistered'],
      ['--session', '--print-reply', `--dest=${WATCHER}`, '/StatusNotifierWatcher', 'org.freedesktop.DBus.Properties.Get', `string:${WATCHER}`, 'string:IsStatusNotifierHostRegistered'],
    );
    return hostRegistered === false ? 'missing' : 'available';
  }
  // No watcher. GNOME and Wayland sessions have no other tray; an X11 desktop might
  // still have a legacy XEmbed tray, which this cannot see.
  const desktop = (opts.env['XDG_CURRENT_DESKTOP'] ?? '').toUpperCase();
  const wayland = opts.env['XDG_SESSION_TYPE'] === 'wayland' || !!opts.env['WAYLAND_DISPLAY'];
  return desktop.split(':').includes('GNOME') || wayland ? 'missing' : 'unknown';
}

/** What the window says the first time closing it minimises instead of hiding. */
export const NO_TRAY_MESSAGE =
  'Streamtap is still recording. Your desktop shows no tray icons (on GNOME, the AppIndicator extension adds them: ' +
  'gnome-shell-extension-appindicator), so Streamtap stays in the taskbar instead of the tray while it runs. ' +
  'To stop it, use File › Quit (press Alt to show the menu).';

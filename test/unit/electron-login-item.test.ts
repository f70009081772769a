// Start at login on Linux: the XDG autostart entry in ~/.config/autostart, naming the
// AppImage (not its temporary mount) or the installed binary, with --hidden; reading it
// back, honouring a desktop's own "disabled" flags, and removing it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { autostartFile, createLoginItem, desktopExecArg, launchedHidden, type LoginItemEnv } from '../../src-main/electron/login-item.js';

vi.mock('electron', () => ({}));

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-login-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const app = { getLoginItemSettings: vi.fn(), setLoginItemSettings: vi.fn() };

function linux(over: Partial<LoginItemEnv> = {}): LoginItemEnv {
  return { platform: 'linux', isPackaged: true, execPath: '/opt/Streamtap/streamtap', env: {}, homeDir: home, appName: 'Streamtap', ...over };
}

describe('start at login on Linux', () => {
  it('writes ~/.config/autostart/streamtap.desktop that starts the app hidden, and reads it back', () => {
    const item = createLoginItem(app as never, linux());
    expect(item.supported).toBe(true);
    expect(item.get()).toBe(false);
    item.set(true);
    const file = path.join(home, '.config', 'autostart', 'streamtap.desktop');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^\[Desktop Entry\]\n/);
    expect(text).toContain('Type=Application\n');
    expect(text).toContain('Name=Streamtap\n');
    expect(text).toContain('Exec=/opt/Streamtap/streamtap --hidden\n');
    expect(item.get()).toBe(true);
    item.set(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(item.get()).toBe(false);
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('names the AppImage file, quoted, and honours XDG_CONFIG_HOME', () => {
    const config = path.join(home, 'cfg');
    const item = createLoginItem(app as never, linux({ env: { APPIMAGE: '/home/u/Apps/Streamtap 0.1.0.AppImage', XDG_CONFIG_HOME: config } }));
    item.set(true);
    const text = fs.readFileSync(path.join(config, 'autostart', 'streamtap.desktop'), 'utf8');
    expect(text).toContain('Exec="/home/u/Apps/Streamtap 0.1.0.AppImage" --hidden\n');
  });

  it('reads an entry a desktop disabled in place as off', () => {
    const item = createLoginItem(app as never, linux());
    item.set(true);
    const file = autostartFile({ env: {}, homeDir: home });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(item.get()).toBe(false);
    fs.writeFileSync(file, '[Desktop Entry]\nHidden=true\n');
    expect(item.get()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry spec says', () => {
    expect(desktopExecArg('/opt/Streamtap/streamtap')).toBe('/opt/Streamtap/streamtap');
    expect(desktopExecArg('/a b/c')).toBe('"/a b/c"');
    expect(desktopExecArg('/a"$`\\b')).toBe('"/a\\"\\$\\`\\\\b"');
  });

  it('a login launch (--hidden) starts in the tray', () => {
    expect(launchedHidden(app as never, ['/opt/Streamtap/streamtap', '--hidden'], 'linux')).toBe(true);
    expect(launchedHidden(app as never, ['/opt/Streamtap/streamtap'], 'linux')).toBe(false);
  });
});

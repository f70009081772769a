// Whether a tray icon can appear on Linux: the StatusNotifierWatcher and a registered
// host, asked over D-Bus with gdbus or dbus-send (their real output formats below).

import { describe, expect, it } from 'vitest';
import { detectTrayHost, type RunCommand } from '../../src-main/electron/tray-host.js';

type Answers = Record<string, { ok: boolean; stdout: string } | null>;

/** A fake runner keyed by "<tool> <method or property>"; tools absent from `tools` are not installed. */
function runner(tools: string[], answers: Answers): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (file: string, args: string[]) => {
    if (!tools.includes(file)) return null;
    const what = args.includes('IsStatusNotifierHostRegistered') || args.includes('string:IsStatusNotifierHostRegistered') ? 'host' : 'watcher';
    calls.push(`${file} ${what}`);
    return answers[`${file} ${what}`] ?? { ok: false, stdout: '' };
  }) as RunCommand & { calls: string[] };
  run.calls = calls;
  return run;
}

describe('detectTrayHost', () => {
  it('macOS and Windows always have a tray', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect(await detectTrayHost({ platform, env: {}, run: runner([], {}) })).toBe('available');
    }
  });

  it('KDE (gdbus): watcher and host registered', async () => {
    const run = runner(['gdbus'], { 'gdbus watcher': { ok: true, stdout: '(true,)\n' }, 'gdbus host': { ok: true, stdout: '(<true>,)\n' } });
    expect(await detectTrayHost({ platform: 'linux', env: { XDG_CURRENT_DESKTOP: 'KDE' }, run })).toBe('available');
  });

  it('GNOME without the AppIndicator extension: no watcher', async () => {
    const run = runner(['gdbus'], { 'gdbus watcher': { ok: true, stdout: '(false,)\n' } });
    expect(await detectTrayHost({ platform: 'linux', env: { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME', XDG_SESSION_TYPE: 'wayland' }, run })).toBe('missing');
    expect(run.calls).toEqual(['gdbus watcher']);
  });

  it('a watcher with no host registered shows nothing either', async () => {
    const run = runner(['gdbus'], { 'gdbus watcher': { ok: true, stdout: '(true,)\n' }, 'gdbus host': { ok: true, stdout: '(<false>,)\n' } });
    expect(await detectTrayHost({ platform: 'linux', env: {}, run })).toBe('missing');
  });

  it('falls back to dbus-send and reads its output', async () => {
    const run = runner(['dbus-send'], {
      'dbus-send watcher': { ok: true, stdout: 'method return time=1 sender=org.freedesktop.DBus -> destination=:1.9 serial=3 reply_serial=2\n   boolean true\n' },
      'dbus-send host': { ok: true, stdout: 'method return time=1 sender=:1.5 -> destination=:1.9 serial=9 reply_serial=2\n   variant       boolean true\n' },
    });
    expect(await detectTrayHost({ platform: 'linux', env: {}, run })).toBe('available');
    expect(run.calls).toEqual(['dbus-send watcher', 'dbus-send host']);
  });

  it('no watcher on an X11 desktop that is not GNOME: unknown (a legacy tray may still show it)', async () => {
    const run = runner(['gdbus'], { 'gdbus watcher': { ok: true, stdout: '(false,)\n' } });
    expect(await detectTrayHost({ platform: 'linux', env: { XDG_CURRENT_DESKTOP: 'i3', XDG_SESSION_TYPE: 'x11' }, run })).toBe('unknown');
  });

  it('no D-Bus tool, or no session bus: unknown', async () => {
    expect(await detectTrayHost({ platform: 'linux', env: {}, run: runner([], {}) })).toBe('unknown');
    const failing = runner(['gdbus'], { 'gdbus watcher': { ok: false, stdout: '' } });
    expect(await detectTrayHost({ platform: 'linux', env: {}, run: failing })).toBe('unknown');
  });
});

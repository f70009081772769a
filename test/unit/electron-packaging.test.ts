// The installable build's configuration (electron-builder.config.mjs): the targets per
// platform, the fuses, native code kept out of the asar archive, the Electron-ABI
// better-sqlite3 shipped where the installed app looks for it, the icons each platform
// needs, and how `npm run dist` calls electron-builder.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { Configuration } from 'electron-builder';
import { electronBindingPath, packagedBindingPath, resolveNativeBinding } from '../../src-main/core/db/native-binding.js';
// @ts-expect-error -- plain .mjs files without type declarations
import configModule, { electronAbi } from '../../electron-builder.config.mjs';
// @ts-expect-error -- plain .mjs files without type declarations
import { builderArgs, buildsForHostOnly } from '../../scripts/dist.mjs';
import { trayIconFile } from '../../src-main/electron/tray.js';

// tray.ts imports electron; only its pure trayIconFile is used here
vi.mock('electron', () => ({}));

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const config = configModule as Configuration;
const ABI = electronAbi() as string;

describe('electron-builder configuration', () => {
  it('names the app and builds dmg + zip, nsis, AppImage + deb', () => {
    expect(config.appId).toBe('dev.streamtap.app');
    expect(config.productName).toBe('Streamtap');
    expect(config.mac?.target).toEqual(['dmg', 'zip']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
  });

  it('flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; asar integrity and asar-only on', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      // the renderer is served from app://, so file:// needs nothing extra
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar needs an asar to load from
    expect(config.asar).toBe(true);
  });

  it('keeps native code out of the asar and never rebuilds node_modules in place', () => {
    expect(config.asarUnpack).toContain('**/*.node');
    // electron-builder's rebuild would turn the project's better-sqlite3 into an
    // Electron build and break the tests and the headless server
    expect(config.npmRebuild).toBe(false);
    expect(config.files).toEqual(expect.arrayContaining(['out/**', '!node_modules/better-sqlite3/build/**']));
  });

  it("ships .native/electron-<abi>/better_sqlite3.node where the installed app's binding resolution looks", () => {
    const [resource] = config.extraResources as { from: string; to: string }[];
    // from: where build-electron-native.mjs puts it (and npm start loads it)
    expect(path.join(ROOT, resource!.from)).toBe(electronBindingPath(ROOT, ABI));
    // to: relative to the installed app's resources folder
    const resources = path.join('/opt', 'Streamtap', 'resources');
    const shipped = path.join(resources, resource!.to);
    expect(shipped).toBe(packagedBindingPath(resources, ABI));
    const choice = resolveNativeBinding({
      electronVersion: '45.4.1',
      electronAbi: ABI,
      appRoot: path.join(resources, 'app.asar'),
      packagedResourcesDir: resources,
      exists: (p) => p === shipped,
    });
    expect(choice).toEqual({ path: shipped });
  });

  it('an installed app without its addon says to reinstall, not to run an npm command', () => {
    const resources = path.join('/opt', 'Streamtap', 'resources');
    const choice = resolveNativeBinding({ electronVersion: '45.4.1', electronAbi: ABI, appRoot: path.join(resources, 'app.asar'), packagedResourcesDir: resources, exists: () => false });
    expect(choice.problem).toMatch(/Reinstall Streamtap\.$/);
    expect(choice.problem).not.toContain('npm');
  });

  it('points each platform at an icon file that exists', () => {
    expect(config.mac?.icon).toBe('resources/icon.icns');
    expect(config.win?.icon).toBe('resources/icon.ico');
    expect(config.linux?.icon).toBe('resources/icons');
    for (const icon of [config.mac?.icon, config.win?.icon, config.linux?.icon]) expect(fs.existsSync(path.join(ROOT, icon!))).toBe(true);
  });
});

/** Width and height of a PNG, after checking its signature and that its pixels inflate. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect(zlib.inflateSync(Buffer.concat(idat)).length).toBe(height * (width * 4 + 1));
  return { width, height };
}

const resource = (name: string) => fs.readFileSync(path.join(ROOT, 'resources', name));

describe('icons', () => {
  it('icon.icns holds PNGs from 16 to 1024 px, with the 512 px and 512@2x images macOS needs', () => {
    const icns = resource('icon.icns');
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const sizes = new Map<string, number>();
    for (let off = 8; off < icns.length; ) {
      const type = icns.toString('ascii', off, off + 4);
      const len = icns.readUInt32BE(off + 4);
      sizes.set(type, pngSize(icns.subarray(off + 8, off + len)).width);
      off += len;
    }
    expect(sizes.get('ic09')).toBe(512);
    expect(sizes.get('ic10')).toBe(1024);
    expect(sizes.get('ic07')).toBe(128);
    expect(sizes.get('icp4')).toBe(16);
  });

  it('icon.ico holds PNGs from 16 to 256 px', () => {
    const ico = resource('icon.ico');
    expect(ico.readUInt16LE(0)).toBe(0);
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const e = 6 + 16 * i;
      const declared = ico[e] === 0 ? 256 : ico[e]!;
      const png = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
      expect(pngSize(png).width).toBe(declared);
      sizes.push(declared);
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
  });

  it('Linux: a 24 px tray icon (with its @2x) and an app icon set up to 512 px', () => {
    expect(trayIconFile('linux')).toBe('tray-24.png');
    expect(pngSize(resource('tray-24.png'))).toEqual({ width: 24, height: 24 });
    expect(pngSize(resource('tray-24@2x.png'))).toEqual({ width: 48, height: 48 });
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(resource(`icons/${size}x${size}.png`))).toEqual({ width: size, height: size });
  });
});

describe('npm run dist', () => {
  it('packs the Electron fetched for npm start when building for this platform only', () => {
    expect(buildsForHostOnly([], '--linux')).toBe(true);
    expect(buildsForHostOnly(['--linux', 'deb'], '--linux')).toBe(true);
    expect(buildsForHostOnly(['-l', '--dir'], '--linux')).toBe(true);
    expect(buildsForHostOnly(['--win'], '--linux')).toBe(false);
    expect(buildsForHostOnly(['--linux', '--mac'], '--linux')).toBe(false);
    expect(builderArgs(['--dir'], { electronDist: '/x/dist', hostFlag: '--linux' })).toEqual(['--config', 'electron-builder.config.mjs', '-c.electronDist=/x/dist', '--dir']);
    expect(builderArgs(['--win'], { electronDist: '/x/dist', hostFlag: '--linux' })).toEqual(['--config', 'electron-builder.config.mjs', '--win']);
  });
});

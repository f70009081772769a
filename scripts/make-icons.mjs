#!/usr/bin/env node
// Draws Streamtap's icons as PNG files in resources/, with no image library: the
// shapes are simple (a ring around a "recording" dot) and are rasterized here with 4x4
// supersampling, then written as RGBA PNGs with node:zlib. Run it after changing a
// shape: `node scripts/make-icons.mjs`. The PNGs are committed so neither the build
// nor `npm start` needs this script.
//
// Files:
//   trayTemplate.png / trayTemplate@2x.png  16 / 32 px, black + alpha only: macOS
//                                           template images (the menu bar recolours them)
//   tray.png / tray@2x.png                  16 / 32 px, coloured, for the Windows tray,
//                                           where a black template would vanish on a
//                                           dark taskbar
//   tray-24.png / tray-24@2x.png            24 / 48 px, coloured: Linux panels draw
//                                           status-notifier icons at 22-24 px, and a
//                                           16 px one comes out blurred or tiny
//   icon.png                                256 px app icon (window, taskbar at run time)
//   icon.icns                               macOS app icon, 16 to 1024 px (512@2x): the
//                                           packaged app, Finder, the Dock
//   icon.ico                                Windows app icon, 16 to 256 px: the .exe,
//                                           the installer, Start menu
//   icons/<N>x<N>.png                       Linux app icon set, 16 to 512 px: the
//                                           AppImage and the .deb's hicolor theme
// Electron's nativeImage picks the @2x file on its own on high-DPI screens. Every size
// is drawn from the shapes at that size (no downscaling), so small ones stay crisp.
// The .icns and .ico are containers of PNG images (supported since macOS 10.7 and
// Windows Vista), so they need no other encoder.

import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
const SS = 4; // supersamples per axis

// ---- PNG encoding ------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** rgba: Uint8Array of size*size*4, straight (not premultiplied) alpha. */
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  // compression, filter, interlace: 0
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- drawing -----------------------------------------------------------------------

/**
 * Rasterizes layers painted in order. Each layer is { inside(x, y), color: [r,g,b,a] }
 * with x, y in the unit square [0,1); coverage comes from supersampling, and layers
 * are composited with "source over".
 */
function render(size, layers) {
  const px = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0; // premultiplied accumulation
      for (const layer of layers) {
        let hits = 0;
        for (let sy = 0; sy < SS; sy++) {
          for (let sx = 0; sx < SS; sx++) {
            if (layer.inside((x + (sx + 0.5) / SS) / size, (y + (sy + 0.5) / SS) / size)) hits++;
          }
        }
        const la = (hits / (SS * SS)) * (layer.color[3] / 255);
        r = layer.color[0] * la + r * (1 - la);
        g = layer.color[1] * la + g * (1 - la);
        b = layer.color[2] * la + b * (1 - la);
        a = la + a * (1 - la);
      }
      const i = (y * size + x) * 4;
      px[i] = a > 0 ? Math.round(r / a) : 0;
      px[i + 1] = a > 0 ? Math.round(g / a) : 0;
      px[i + 2] = a > 0 ? Math.round(b / a) : 0;
      px[i + 3] = Math.round(a * 255);
    }
  }
  return px;
}

const dist = (x, y) => Math.hypot(x - 0.5, y - 0.5);
const ring = (outer, inner) => (x, y) => dist(x, y) <= outer && dist(x, y) >= inner;
const disc = (radius) => (x, y) => dist(x, y) <= radius;
function roundedSquare(margin, radius) {
  return (x, y) => {
    const lo = margin + radius;
    const hi = 1 - margin - radius;
    const cx = Math.min(Math.max(x, lo), hi);
    const cy = Math.min(Math.max(y, lo), hi);
    return Math.hypot(x - cx, y - cy) <= radius;
  };
}

const BLACK = [0, 0, 0, 255];
const WHITE = [255, 255, 255, 255];
const RED = [229, 57, 53, 255];
const NAVY = [24, 39, 71, 255];

// Tray glyph: a ring (the tap) around a dot (recording). Thicker strokes at 16 px so
// the ring survives the downscale.
const trayTemplate = (size) => render(size, [
  { inside: ring(0.47, size <= 16 ? 0.33 : 0.36), color: BLACK },
  { inside: disc(0.2), color: BLACK },
]);
const trayColour = (size) => render(size, [
  { inside: ring(0.47, size <= 16 ? 0.33 : 0.36), color: [120, 144, 180, 255] },
  { inside: disc(0.2), color: RED },
]);
const appIcon = (size) => render(size, [
  { inside: roundedSquare(0.04, 0.2), color: NAVY },
  { inside: ring(0.33, 0.27), color: WHITE },
  { inside: disc(0.16), color: RED },
]);

// ---- containers ----------------------------------------------------------------------

/** ICNS: 'icns', total length, then (type, length, PNG) per image. Types by pixel size. */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32], // 16@2x
  ['icp6', 64],
  ['ic12', 64], // 32@2x
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256], // 128@2x
  ['ic09', 512],
  ['ic14', 512], // 256@2x
  ['ic10', 1024], // 512@2x
];

function encodeIcns(pngBySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const png = pngBySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];

/** ICO: ICONDIR, one ICONDIRENTRY per image (0 stands for 256 px), then the PNGs. */
function encodeIco(pngBySize) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(ICO_SIZES.length, 4);
  const entries = [];
  let offset = 6 + 16 * ICO_SIZES.length;
  for (const size of ICO_SIZES) {
    const png = pngBySize.get(size);
    const e = Buffer.alloc(16);
    e[0] = size >= 256 ? 0 : size;
    e[1] = size >= 256 ? 0 : size;
    e[2] = 0; // palette colours
    e[3] = 0; // reserved
    e.writeUInt16LE(1, 4); // planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...ICO_SIZES.map((s) => pngBySize.get(s))]);
}

export const LINUX_ICON_SIZES = [16, 32, 48, 64, 128, 256, 512];

const PNG_FILES = [
  ['trayTemplate.png', 16, trayTemplate],
  ['trayTemplate@2x.png', 32, trayTemplate],
  ['tray.png', 16, trayColour],
  ['tray@2x.png', 32, trayColour],
  ['tray-24.png', 24, trayColour],
  ['tray-24@2x.png', 48, trayColour],
  ['icon.png', 256, appIcon],
  ...LINUX_ICON_SIZES.map((size) => [`icons/${size}x${size}.png`, size, appIcon]),
];

function main() {
  fs.mkdirSync(path.join(OUT, 'icons'), { recursive: true });
  const write = (name, data, what) => {
    const file = path.join(OUT, name);
    fs.writeFileSync(file, data);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)} (${what})\n`);
  };
  for (const [name, size, draw] of PNG_FILES) write(name, encodePng(size, draw(size)), `${size}x${size}`);
  const appPngs = new Map();
  for (const size of new Set([...ICNS_TYPES.map(([, s]) => s), ...ICO_SIZES])) appPngs.set(size, encodePng(size, appIcon(size)));
  write('icon.icns', encodeIcns(appPngs), `${ICNS_TYPES.length} images, 16 to 1024 px`);
  write('icon.ico', encodeIco(appPngs), `${ICO_SIZES.length} images, 16 to 256 px`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

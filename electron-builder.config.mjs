// electron-builder: the installable desktop app (`npm run dist`, scripts/dist.mjs).
//   macOS    dmg + zip         Windows  nsis installer         Linux  AppImage + deb
//
// better-sqlite3 is native. electron-builder would rebuild it for Electron inside the
// project's own node_modules (npmRebuild), which breaks plain Node — the tests, the
// headless server, the CLI — until the next `npm ci`. Instead the Electron-ABI build
// that `npm start` also uses (.native/electron-<abi>/, scripts/build-electron-native.mjs,
// run by dist.mjs first) ships as an extra resource, outside the asar archive (a native
// addon must be a real file to be loaded), at resources/native/electron-<abi>/, where
// src-main/core/db/native-binding.ts looks in an installed app; node_modules'
// own (plain Node) build of it is left out.
//
// Fuses are flipped in the packaged Electron binary: no ELECTRON_RUN_AS_NODE, no
// NODE_OPTIONS, no --inspect (each would let anyone who can start the app run code with
// its privileges); the app loads only from app.asar, whose integrity is checked against
// the hash embedded in the binary (macOS and Windows); no extra file:// privileges (the
// renderer is served from app://).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** The module ABI of the installed Electron (node_modules/electron/abi_version). */
export function electronAbi(root = ROOT) {
  return fs.readFileSync(path.join(root, 'node_modules', 'electron', 'abi_version'), 'utf8').trim();
}

const abi = electronAbi();

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'dev.streamtap.app',
  productName: 'Streamtap',
  copyright: 'Streamtap contributors',
  directories: { output: 'dist', buildResources: 'resources' },
  // Only what runs: the built bundles, the icons, and the production dependencies
  // electron-builder adds from package.json (the main bundle keeps them external).
  files: [
    'out/**',
    'resources/**',
    'package.json',
    '!**/*.map',
    // Node's build of the addon and its sources: the Electron build ships below.
    '!node_modules/better-sqlite3/build/**',
    '!node_modules/better-sqlite3/deps/**',
    '!node_modules/better-sqlite3/src/**',
    // Bundled into the renderer by Vite; the main process never loads them.
    '!node_modules/{react,react-dom,scheduler,zustand,@tanstack}/**',
    // The tokenizer's worker thread requires its CommonJS build (an eval'd CommonJS
    // worker, as the store's writer, which loads from app.asar): not its ESM copy,
    // browser bundles, sources or raw data (the encodings carry their own ranks; 45 MB).
    '!node_modules/gpt-tokenizer/{esm,dist,src,data}/**',
    // koffi loads its prebuilt addon from its platform package: not its C++ sources,
    // the Node-API headers it would build them with, or its docs.
    '!node_modules/koffi/{vendor,doc}/**',
    '!node_modules/koffi/src/koffi/src/**',
  ],
  asar: true,
  // Anything native that is still in the app is loaded from outside the archive.
  asarUnpack: ['**/*.node'],
  npmRebuild: false,
  nodeGypRebuild: false,
  extraResources: [
    {
      from: `.native/electron-${abi}/better_sqlite3.node`,
      to: `native/electron-${abi}/better_sqlite3.node`,
    },
  ],
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
    loadBrowserProcessSpecificV8Snapshot: false,
  },
  mac: {
    target: ['dmg', 'zip'],
    icon: 'resources/icon.icns',
    category: 'public.app-category.developer-tools',
  },
  dmg: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  win: {
    target: ['nsis'],
    icon: 'resources/icon.ico',
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    artifactName: '${productName}-Setup-${version}.${ext}',
  },
  linux: {
    target: ['AppImage', 'deb'],
    icon: 'resources/icons',
    category: 'Development',
    maintainer: 'Streamtap contributors <streamtap@users.noreply.github.com>',
    synopsis: 'A local recorder for LLM traffic',
    description: 'A loopback proxy that forwards, streams and records every request to OpenAI and Anthropic, including aborted and broken streams.',
  },
  appImage: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  deb: { artifactName: '${name}_${version}_${arch}.${ext}' },
};

export default config;

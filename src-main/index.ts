// The Electron entry: lifecycle, tray and window around the same core the headless
// server runs. It only wires modules together; the logic lives in src-main/electron/*
// (testable with a mocked `electron`) and src-main/core/* (plain Node).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell } from 'electron';
import { LIVE_CHANNEL, type LiveEvent } from './common/contract.js';
import { ConfigError } from './core/config.js';
import { resolveNativeBinding } from './core/create-core.js';
import { APP_NAME, defaultDataDir, readSettingsFile } from './core/settings.js';
import { appMenuTemplate } from './electron/app-menu.js';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './electron/app-protocol.js';
import { createAppUrlCheck } from './electron/app-url.js';
import { configFromSettings, createCoreHost, type CoreHost } from './electron/core-host.js';
import { createExportRun } from './electron/export-dialog.js';
import { createSenderCheck, registerIpc } from './electron/ipc.js';
import { ipcChannel } from './electron/ipc-names.js';
import { claimSingleInstance, installQuitHandling, QUIT_DRAIN_MS, watchSessionEnd } from './electron/lifecycle.js';
import { createLoginItem, launchedHidden } from './electron/login-item.js';
import { resolveAppPaths } from './electron/paths.js';
import { devCsp, hardenSession, hardenWebContents, PRODUCTION_CSP } from './electron/security.js';
import { createDockPolicy } from './electron/dock.js';
import { detectTrayHost, NO_TRAY_MESSAGE } from './electron/tray-host.js';
import { createTray, type TrayController } from './electron/tray.js';
import { createMainWindowController, type MainWindowController } from './electron/windows.js';

const log = (message: string, err?: unknown) => {
  console.error(`streamtap: ${message}${err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`}`);
};

class Fatal extends Error {}

/** Shows a problem the app cannot run with, then exits. */
function fatal(title: string, message: string): never {
  log(`${title}: ${message}`);
  dialog.showErrorBox(title, message);
  app.exit(1);
  // Unwinds main(); the catch at the top ignores it.
  throw new Fatal(message);
}

// userData must be set before anything reads it, and before the single-instance lock
// (which is keyed on it): same folder as the headless server and CLI.
app.setName(APP_NAME);
const paths = resolveAppPaths({
  mainDir: path.dirname(fileURLToPath(import.meta.url)),
  appRoot: app.getAppPath(),
  dataDir: defaultDataDir(),
});
app.setPath('userData', paths.dataDir);

const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const isAppUrl = createAppUrlCheck({ devServerUrl });
// Before 'ready', as Electron requires: app:// must be a standard, secure origin for
// 'self', fetch and ES modules to work in the page.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

let windows: MainWindowController | null = null;
let showWhenReady = false;

if (!claimSingleInstance(app, () => (windows ? windows.show() : (showWhenReady = true)))) {
  // Another Streamtap owns the port and the database; it has been asked to show itself.
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, { isAppUrl, openExternal: (url) => void shell.openExternal(url) });
  });
  app
    .whenReady()
    .then(main)
    .catch((err: unknown) => {
      if (!(err instanceof Fatal)) fatal('Streamtap could not start', err instanceof Error ? err.message : String(err));
    })
    .catch(() => {});
}

async function main(): Promise<void> {
  const binding = resolveNativeBinding({
    electronVersion: process.versions.electron,
    electronAbi: process.versions.modules,
    appRoot: paths.appRoot,
    ...(app.isPackaged ? { packagedResourcesDir: process.resourcesPath } : {}),
    exists: fs.existsSync,
  });
  if (binding.problem) fatal('Streamtap cannot open its database', binding.problem);

  // Asked over D-Bus on Linux (a few ms); meanwhile the settings are read.
  const trayHost = detectTrayHost({ platform: process.platform, env: process.env });
  let host: CoreHost;
  try {
    const config = configFromSettings(readSettingsFile(paths.settingsFile), paths.dbPath);
    hardenSession(session.defaultSession, { csp: devServerUrl ? devCsp(devServerUrl) : PRODUCTION_CSP, isAppUrl });
    protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: paths.rendererDir, csp: PRODUCTION_CSP }));

    const dockFollowsWindow = createDockPolicy(process.platform === 'darwin' ? app.dock : undefined, (err) => log('cannot show the Dock icon', err));
    const noTray = (await trayHost) === 'missing';
    if (noTray) log('no status-notifier host on this desktop: no tray icon; closing the window minimises it');
    const win = createMainWindowController({
      preload: paths.preload,
      url: devServerUrl ?? APP_INDEX_URL,
      stateFile: paths.windowStateFile,
      icon: paths.appIcon,
      closeHides: !noTray,
      onFirstCloseMinimized: () => {
        const options = { type: 'info' as const, title: 'Streamtap keeps running', message: 'Streamtap keeps running', detail: NO_TRAY_MESSAGE };
        void (win.window ? dialog.showMessageBox(win.window, options) : dialog.showMessageBox(options)).catch((err: unknown) => log('cannot show a message', err));
      },
      onVisibilityChange: dockFollowsWindow,
      onError: log,
    });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, appName: APP_NAME, dev: devServerUrl !== undefined, openDashboard: () => win.show() })),
    );
    windows = win;
    let tray: TrayController | null = null;
    const push = (event: LiveEvent) => {
      win.send(ipcChannel(LIVE_CHANNEL), event);
      if (event.type === 'status') tray?.update(event.status);
    };
    host = createCoreHost(config, {
      settingsFile: paths.settingsFile,
      coreOptions: { ...(binding.path ? { nativeBinding: binding.path } : {}), migrationsFolder: paths.migrationsFolder },
      push,
      exportRun: createExportRun({
        showSaveDialog: (options) => (win.window ? dialog.showSaveDialog(win.window, options) : dialog.showSaveDialog(options)),
        exportRecords: (args) => host.core().api.export(args),
        push,
        defaultDir: () => app.getPath('downloads'),
      }),
      onError: log,
    });
    const unregisterIpc = registerIpc(ipcMain, host.handlers, {
      isTrustedSender: createSenderCheck({ mainFrame: () => win.mainFrame(), isAppUrl }),
      onError: (channel, err) => log(channel, err),
    });
    tray = createTray({
      resourcesDir: paths.resourcesDir,
      initialStatus: host.status(),
      loginItem: createLoginItem(app, {
        platform: process.platform,
        isPackaged: app.isPackaged,
        execPath: process.execPath,
        env: process.env,
        homeDir: app.getPath('home'),
        appName: APP_NAME,
      }),
      onError: log,
      actions: {
        openDashboard: () => win.show(),
        setPaused: (paused) => host.core().api['recording.setPaused']({ paused }),
      },
    });
    const unwatchSessionEnd = watchSessionEnd({
      createWindow: () => new BrowserWindow({ show: false, skipTaskbar: true, width: 1, height: 1, webPreferences: { sandbox: true, contextIsolation: true } }),
      onSessionEnd: () => {
        if (!host.flushNow(QUIT_DRAIN_MS)) log('the session is ending before every record could be written');
      },
    });
    // A read-only view of what the tray shows, for the real-Electron smoke test
    // (test/e2e/electron-smoke.spec.ts): Electron's Tray cannot be asked, and
    // Playwright's evaluate reaches the main process only through its globals.
    (globalThis as Record<symbol, unknown>)[Symbol.for('streamtap.tray')] = () => tray?.snapshot() ?? null;
    installQuitHandling(app, {
      onQuitting: () => win.setQuitting(true),
      stop: async () => {
        unregisterIpc();
        unwatchSessionEnd();
        tray?.destroy();
        tray = null;
        await host.stop({ flushTimeoutMs: QUIT_DRAIN_MS });
      },
      onError: log,
    });
    app.on('activate', () => win.show());

    const status = await host.start();
    tray.update(status);
    // A problem (port in use) is shown even on a login launch: recording is off.
    if (showWhenReady || status.problem || !launchedHidden(app, process.argv)) win.show();
    // A login launch with no tray to live in: in the taskbar, not invisible.
    else if (noTray) win.showMinimized();
    else dockFollowsWindow(false);
  } catch (err) {
    if (err instanceof Fatal) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ConfigError) fatal('Streamtap cannot read its settings', `${message}\n\nFix or delete ${paths.settingsFile}, then start again.`);
    fatal('Streamtap could not start', message);
  }
}

// A real-Electron smoke test (Playwright's Electron support) of the built app, with an
// isolated data folder and upstreams on 127.0.0.1: the window opens on app://streamtap
// with no CSP violation, the page reaches main only through the preload bridge (no Node
// in it), the tray shows the port, a request through the proxy appears as a row in the
// window, navigation away is blocked, closing the window hides it, and quitting
// finishes the request still in flight and writes it (no row left in_progress).
//
// It needs the Electron binary (fetched by `npm start` / `npm run setup`). Where it is
// missing — a machine that cannot download it — the tests are reported as SKIPPED with
// the reason, never as passed. The binary is located read-only, as the start scripts
// do: `require('electron')` itself would try to download a missing binary.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { _electron as electron, expect, test, type ConsoleMessage, type ElectronApplication, type Page } from '@playwright/test';
import type { StreamtapApi } from '../../src-main/common/contract.js';
import type { TraySnapshot } from '../../src-main/electron/tray.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { findElectronBinary } from '../../scripts/electron-setup.mjs';

/** What the page's global scope looks like (this file is type-checked without DOM
 * types; the casts are erased before Playwright serializes the callbacks). */
type PageGlobals = { streamtap?: StreamtapApi; location: { href: string; protocol: string }; require?: unknown; process?: unknown; ipcRenderer?: unknown };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ELECTRON = findElectronBinary(ROOT) as string | null;
const SKIP_REASON =
  'SKIPPED: the Electron binary is not installed on this machine (it cannot be downloaded here; `npm run setup` fetches it where it can); the Electron smoke test runs where it is';
// The list and line reporters do not print skip reasons: say it in the output too.
if (ELECTRON === null) console.warn(`electron-smoke.spec.ts: ${SKIP_REASON}`);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function runNode(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** An upstream that takes requests and never answers: they stay in flight. */
async function silentUpstream(): Promise<{ url: string; received: Promise<void>; close(): Promise<void> }> {
  let gotOne!: () => void;
  const received = new Promise<void>((resolve) => (gotOne = resolve));
  const server = http.createServer(() => gotOne());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test.describe('Electron app (real binary)', () => {
  test.skip(ELECTRON === null, SKIP_REASON);
  test.describe.configure({ mode: 'serial', timeout: 180_000 });

  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;
  let port: number;
  let silent: Awaited<ReturnType<typeof silentUpstream>>;
  const consoleMessages: string[] = [];

  test.beforeAll(async () => {
    // The app runs from out/ and loads better-sqlite3's Electron-ABI build.
    runNode([path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']);
    runNode([path.join(ROOT, 'scripts', 'build-electron-native.mjs')]);

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-electron-'));
    port = await freePort();
    // OpenAI: nothing listens, so a request is recorded as upstream_unreachable. Anthropic:
    // a server that never answers, so a request is still in flight when the app quits.
    const deadUpstream = await freePort();
    silent = await silentUpstream();
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ port, upstreams: { openai: `http://127.0.0.1:${deadUpstream}`, anthropic: silent.url } }));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
    env['STREAMTAP_DATA_DIR'] = dataDir;
    app = await electron.launch({
      executablePath: ELECTRON!,
      args: [ROOT, ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      cwd: ROOT,
      env,
    });
    page = await app.firstWindow();
    page.on('console', (m: ConsoleMessage) => consoleMessages.push(`${m.type()}: ${m.text()}`));
    // Loaded again with the listener attached, so nothing the page logs at start is missed.
    await page.reload();
    await page.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close().catch(() => {});
    await silent?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the window shows the dashboard from app://streamtap, with no CSP violation', async () => {
    expect(page.url()).toBe('app://streamtap/index.html');
    await expect(page.locator('.topbar')).toBeVisible();
    expect(await page.title()).toBe('Streamtap');
    expect(consoleMessages.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });

  test('the page has the streamtap bridge and no Node', async () => {
    const shape = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return {
        bridge: typeof g.streamtap,
        call: typeof g.streamtap?.call,
        subscribe: typeof g.streamtap?.subscribe,
        require: typeof g.require,
        process: typeof g.process,
        ipcRenderer: typeof g.ipcRenderer,
      };
    });
    expect(shape).toEqual({ bridge: 'object', call: 'function', subscribe: 'function', require: 'undefined', process: 'undefined', ipcRenderer: 'undefined' });
  });

  test('the proxy listens on the configured port and the window sees its status over IPC', async () => {
    const status = await page.evaluate(() => (globalThis as unknown as PageGlobals).streamtap!.call('status.get', {}));
    expect(status).toMatchObject({ listening: true, port, runtime: 'electron', problem: null });
    expect(status.dbPath).toBe(path.join(dataDir, 'streamtap.db'));
  });

  test('the tray is there and shows the port', async () => {
    await expect
      .poll(() => app.evaluate(() => ((globalThis as Record<symbol, unknown>)[Symbol.for('streamtap.tray')] as () => TraySnapshot | null)()), { timeout: 10_000 })
      .toMatchObject({ destroyed: false, tooltip: expect.stringContaining(`127.0.0.1:${port}`), items: expect.arrayContaining(['Open dashboard', 'Quit Streamtap']) });
  });

  test('a request through the proxy appears as a row in the window', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(res.status).toBe(502);
    await expect(page.locator('.trow[data-outcome="upstream_unreachable"]')).toHaveCount(1);
  });

  test('unknown channels and invalid payloads are refused', async () => {
    const unknown = await page.evaluate(() => (globalThis as unknown as PageGlobals).streamtap!.call('fs.read' as never, {} as never).catch((e: unknown) => e));
    expect(unknown).toMatchObject({ code: 'unknown_channel' });
    const invalid = await page.evaluate(() => (globalThis as unknown as PageGlobals).streamtap!.call('requests.list', { filter: {}, limit: -1 }).catch((e: unknown) => e));
    expect(invalid).toMatchObject({ code: 'invalid_payload' });
  });

  test('the window cannot navigate away from the app', async () => {
    // Resolves when main sees the navigation, with whether the app's handler stopped it.
    const seen = app.evaluate(
      ({ BrowserWindow }) =>
        new Promise<{ url: string; prevented: boolean }>((resolve) => {
          BrowserWindow.getAllWindows()[0]!.webContents.once('will-navigate', (event) => resolve({ url: event.url, prevented: event.defaultPrevented }));
        }),
    );
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).location.href = 'file:///etc/hosts';
    });
    expect(await seen).toEqual({ url: 'file:///etc/hosts', prevented: true });
    expect(page.url()).toBe('app://streamtap/index.html');
  });

  test('closing the window hides it; the app keeps running', async () => {
    const state = await app.evaluate(async ({ BrowserWindow }) => {
      const win = BrowserWindow.getAllWindows().find((w) => w.webContents.getURL().startsWith('app://'))!;
      await new Promise<void>((resolve) => {
        win.once('hide', () => resolve());
        win.close();
      });
      return { visible: win.isVisible(), destroyed: win.isDestroyed() };
    });
    expect(state).toEqual({ visible: false, destroyed: false });
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(res.status).toBe(502);
  });

  test('quitting finishes the request in flight and writes every row', async () => {
    // A streamed Anthropic request to the upstream that never answers.
    const inFlight = fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((err: unknown) => err);
    await silent.received;
    await app.close();
    await inFlight;

    const db = new Database(path.join(dataDir, 'streamtap.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT path, outcome FROM requests ORDER BY started_at').all() as { path: string; outcome: string }[];
      expect(rows).toEqual([
        { path: '/v1/models', outcome: 'upstream_unreachable' },
        { path: '/v1/models', outcome: 'upstream_unreachable' },
        { path: '/v1/messages', outcome: 'interrupted' },
      ]);
    } finally {
      db.close();
    }
  });
});

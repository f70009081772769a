// The built Electron main bundle (out/main/index.js, as `npm start` runs it) against a
// recording stand-in for the `electron` module: where the real binary cannot run, this
// still runs every line of the entry's wiring. It checks what the entry must do in
// order (app:// registered before ready), what it sets up (the app's own menu, the
// hardened session, the window on app://streamtap, the tray), that the proxy records
// and the window's IPC reads the row (an answer without usage gets its output tokens
// from the tokenizer's worker thread, as bundled), and that quitting writes it before
// the app exits.
// The bundle is built in a temporary copy of the project, so out/ is left alone.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPort, PROJECT_FILES, ROOT } from '../fixtures/electron-stand-in.js';
import { waitUntil } from '../fixtures/wait.js';

const fake = await vi.hoisted(async () => {
  // vi.hoisted runs before the imports above: it loads what it needs itself.
  const { EventEmitter } = await import('node:events');
  const events: string[] = [];
  const ipc = new Map<string, (event: unknown, args: unknown) => Promise<unknown>>();
  const windows: FakeWindow[] = [];
  const protocols = new Map<string, (req: Request) => Promise<Response>>();
  let quitCount = 0;

  class FakeContents extends EventEmitter {
    url = '';
    mainFrame = { url: '', processId: 7, routingId: 1 };
    send = (channel: string) => events.push(`send ${channel}`);
    isDestroyed = () => false;
    setWindowOpenHandler = () => {};
    reload = () => {};
    getURL = () => this.url;
  }
  class FakeWindow extends EventEmitter {
    webContents = new FakeContents();
    visible = false;
    destroyed = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadURL = async (url: string) => {
      this.webContents.url = url;
      this.webContents.mainFrame.url = url;
      events.push(`load ${url}`);
      setImmediate(() => this.emit('ready-to-show'));
    };
    show = () => {
      this.visible = true;
      this.emit('show');
    };
    showInactive = this.show;
    hide = () => {
      this.visible = false;
      this.emit('hide');
    };
    focus = () => {};
    restore = () => {};
    minimize = () => {};
    maximize = () => {};
    isVisible = () => this.visible;
    isMinimized = () => false;
    isMaximized = () => false;
    isDestroyed = () => this.destroyed;
    getNormalBounds = () => ({ x: 0, y: 0, width: 1280, height: 820 });
    close = () => {
      let prevented = false;
      this.emit('close', { preventDefault: () => (prevented = true) });
      if (!prevented) this.destroy();
    };
    destroy = () => {
      this.destroyed = true;
      this.emit('closed');
    };
  }
  const app = Object.assign(new EventEmitter(), {
    appPath: '',
    isPackaged: false,
    dock: undefined,
    setName: (n: string) => events.push(`setName ${n}`),
    getAppPath: () => app.appPath,
    setPath: (name: string) => events.push(`setPath ${name}`),
    getPath: () => app.appPath,
    requestSingleInstanceLock: () => true,
    whenReady: () => {
      events.push('whenReady');
      return Promise.resolve();
    },
    getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
    setLoginItemSettings: () => {},
    exitCode: null as number | null,
    exit: (code: number) => {
      events.push(`exit ${code}`);
      app.exitCode = code;
    },
    quit: () => {
      quitCount++;
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) {
        events.push('quit');
        app.emit('quit');
      }
    },
    quits: () => quitCount,
  });
  const errorBoxes: string[] = [];
  const module = {
    app,
    BrowserWindow: FakeWindow,
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    protocol: {
      registerSchemesAsPrivileged: (schemes: { scheme: string }[]) => events.push(`registerSchemesAsPrivileged ${schemes.map((s) => s.scheme).join(',')}`),
      handle: (scheme: string, handler: (req: Request) => Promise<Response>) => {
        events.push(`protocol.handle ${scheme}`);
        protocols.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => events.push('setPermissionRequestHandler'),
        setPermissionCheckHandler: () => {},
        webRequest: { onHeadersReceived: () => {} },
      },
    },
    Menu: {
      buildFromTemplate: (t: unknown) => t,
      setApplicationMenu: (m: unknown) => {
        events.push('setApplicationMenu');
        (module as Record<string, unknown>)['appMenu'] = m;
      },
    },
    Tray: class {
      constructor() {
        events.push('tray');
      }
      setToolTip() {}
      setContextMenu() {}
      on() {}
      destroy() {
        events.push('tray destroyed');
      }
    },
    nativeImage: { createFromPath: () => ({ setTemplateImage: () => {} }) },
    dialog: {
      showErrorBox: (title: string, message: string) => errorBoxes.push(`${title}: ${message}`),
      showMessageBox: async () => ({ response: 0 }),
      showSaveDialog: async () => ({ canceled: true }),
    },
    ipcMain: {
      handle: (channel: string, fn: (event: unknown, args: unknown) => Promise<unknown>) => ipc.set(channel, fn),
      removeHandler: (channel: string) => ipc.delete(channel),
    },
    shell: { openExternal: async () => {} },
    clipboard: { writeText: () => {} },
  };
  return { module, events, ipc, windows, protocols, errorBoxes, app };
});

vi.mock('electron', () => fake.module);

const appState = (): string => `events: ${fake.events.join(' | ')}; errors: ${fake.errorBoxes.join(' | ')}`;

const roles = (items: { role?: string; submenu?: unknown }[]): string[] =>
  items.flatMap((i) => [...(i.role ? [i.role] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu as never) : [])]);

describe('the Electron main bundle, against a stand-in electron', { timeout: 120_000 }, () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  // An upstream that streams a chat answer without usage, so the recorder estimates it.
  const plain = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const word of ['Hello', ' from', ' the', ' bundle']) res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word } }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'main-bundle-'));
    for (const entry of PROJECT_FILES) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: dir, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);

    dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    // free loopback ports: one for the proxy, one with nothing behind it as the upstream
    port = await closedPort();
    const dead = await closedPort();
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ port, upstreams: { openai: `http://127.0.0.1:${dead}`, anthropic: `http://127.0.0.1:${dead}`, plain: plainUrl } }));
    process.env['STREAMTAP_DATA_DIR'] = dataDir;
    delete process.env['ELECTRON_RENDERER_URL'];
    fake.app.appPath = dir;

    await import(pathToFileURL(path.join(dir, 'out', 'main', 'index.js')).href);
    await waitUntil('the app to start', () => fake.events.includes('tray') && fake.events.some((e) => e.startsWith('load ')) && fake.ipc.size > 0, { timeoutMs: 60_000, detail: appState });
    const tray = () => ((globalThis as Record<symbol, unknown>)[Symbol.for('streamtap.tray')] as () => { tooltip: string } | null)();
    await waitUntil('the tray to show the port', () => tray()?.tooltip.includes(`127.0.0.1:${port}`) === true, { timeoutMs: 30_000, detail: appState });
  }, 120_000);

  afterAll(() => {
    plain.close();
    delete process.env['STREAMTAP_DATA_DIR'];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts without an error, registering app:// before ready', () => {
    expect(fake.errorBoxes).toEqual([]);
    expect(fake.app.exitCode).toBeNull();
    const e = fake.events;
    expect(e.indexOf('registerSchemesAsPrivileged app')).toBeGreaterThanOrEqual(0);
    expect(e.indexOf('registerSchemesAsPrivileged app')).toBeLessThan(e.indexOf('whenReady'));
    expect(e.indexOf('protocol.handle app')).toBeGreaterThan(e.indexOf('whenReady'));
  });

  it("sets the app's own menu, without reload or developer tools", () => {
    const menu = (fake.module as Record<string, unknown>)['appMenu'] as { role?: string }[];
    const r = roles(menu);
    expect(r).toContain('quit');
    expect(r).not.toContain('reload');
    expect(r).not.toContain('toggleDevTools');
  });

  it('loads the window from app://streamtap, served from the built renderer with the CSP', async () => {
    expect(fake.events).toContain('load app://streamtap/index.html');
    const res = await fake.protocols.get('app')!(new Request('app://streamtap/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    expect(await res.text()).toBe(fs.readFileSync(path.join(dir, 'out', 'renderer', 'index.html'), 'utf8'));
  });

  it("records a request through the proxy, and the window's IPC lists it", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(res.status).toBe(502);
    await res.arrayBuffer();
    const win = fake.windows.find((w) => w.webContents.url.startsWith('app://'))!;
    const list = fake.ipc.get('streamtap:requests.list')!;
    let rows: { path: string; outcome: string }[] = [];
    await waitUntil(
      'the row over IPC',
      async () => {
        const reply = await list({ senderFrame: win.webContents.mainFrame }, { filter: {}, limit: 10 });
        rows = (reply as { ok: boolean; result?: { seq: number; records: typeof rows } }).result?.records ?? [];
        return rows.length === 1;
      },
      { timeoutMs: 10_000, detail: appState },
    );
    expect(rows[0]).toMatchObject({ path: '/v1/models', outcome: 'upstream_unreachable' });
    // a frame that is not the window's is refused
    const forbidden = await list({ senderFrame: { url: 'file:///evil.html', processId: 99, routingId: 1 } }, { filter: {}, limit: 10 });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('estimates the output tokens of an answer without usage on the bundled tokenizer worker', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/plain/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const win = fake.windows.find((w) => w.webContents.url.startsWith('app://'))!;
    const frame = { senderFrame: win.webContents.mainFrame };
    type Row = { id: string; path: string; outcome: string; usage: { outputTokens: number | null; estimated: boolean } };
    const row = await waitUntil(
      'the estimated row over IPC',
      async () => {
        const reply = await fake.ipc.get('streamtap:requests.list')!(frame, { filter: {}, limit: 10 });
        return ((reply as { result?: { records: Row[] } }).result?.records ?? []).find((r) => r.path === '/plain/v1/chat/completions' && r.outcome !== 'in_progress');
      },
      { timeoutMs: 30_000, detail: appState },
    );
    expect(row).toMatchObject({ outcome: 'completed', usage: { outputTokens: 4, estimated: true } });
  });

  it('quits after writing: the row is on disk and nothing is left in progress', async () => {
    const started = Date.now();
    fake.app.quit();
    await waitUntil('the quit to go through', () => fake.events.includes('quit'), { timeoutMs: 10_000, detail: appState });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.app.quits()).toBe(2); // held once for the stop, then quit for real
    expect(fake.events).toContain('tray destroyed');
    const db = new Database(path.join(dataDir, 'streamtap.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT path, outcome, output_tokens, usage_estimated FROM requests ORDER BY started_at').all()).toEqual([
        { path: '/v1/models', outcome: 'upstream_unreachable', output_tokens: null, usage_estimated: 0 },
        { path: '/plain/v1/chat/completions', outcome: 'completed', output_tokens: 4, usage_estimated: 1 },
      ]);
    } finally {
      db.close();
    }
  });
});

// The Electron IPC layer: every contract channel is registered, a call from anything
// but the app's own window is refused before any work, payloads are validated, and
// failures come back as { code, message } (never a thrown error with a stack).

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, type Handlers } from '../../src-main/common/contract.js';
import { createAppUrlCheck } from '../../src-main/electron/app-url.js';
import { createSenderCheck, registerIpc, type IpcMainLike, type SenderFrame } from '../../src-main/electron/ipc.js';

vi.mock('electron', () => ({}));

const RENDERER = path.resolve('/opt/streamtap/out/renderer/index.html');
const APP_URL = 'app://streamtap/index.html';

type Listener = (event: { senderFrame: SenderFrame | null }, args: unknown) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc = {
    handle: vi.fn((channel: string, listener: Listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    }),
    removeHandler: vi.fn((channel: string) => {
      handlers.delete(channel);
    }),
  };
  return { ipc: ipc as unknown as IpcMainLike, handlers };
}

function fakeHandlers(overrides: Partial<Handlers> = {}): Handlers {
  const status = { listening: true, paused: false } as unknown;
  const base = Object.fromEntries(CHANNEL_NAMES.map((n) => [n, vi.fn(async () => ({ channel: n }))])) as unknown as Handlers;
  return { ...base, 'status.get': vi.fn(async () => status) as unknown as Handlers['status.get'], ...overrides };
}

const mainFrame: SenderFrame = { url: APP_URL, processId: 4, routingId: 1 };

function setup(handlers = fakeHandlers(), frame: SenderFrame | null = mainFrame) {
  const { ipc, handlers: registered } = fakeIpcMain();
  const isTrustedSender = createSenderCheck({ mainFrame: () => frame, isAppUrl: createAppUrlCheck() });
  const cleanup = registerIpc(ipc, handlers, { isTrustedSender });
  const invoke = (channel: string, sender: SenderFrame | null, args: unknown) => {
    const listener = registered.get(`streamtap:${channel}`);
    if (!listener) throw new Error(`no handler for ${channel}`);
    return listener({ senderFrame: sender }, args);
  };
  return { invoke, cleanup, registered, handlers };
}

describe('registerIpc', () => {
  it('registers exactly one streamtap:<channel> handler per contract channel, and the cleanup removes them all', () => {
    const { registered, cleanup } = setup();
    expect([...registered.keys()].sort()).toEqual(CHANNEL_NAMES.map((n) => `streamtap:${n}`).sort());
    cleanup();
    expect(registered.size).toBe(0);
  });

  it('answers the main frame of the app window with { ok: true, result }', async () => {
    const { invoke, handlers } = setup();
    const reply = await invoke('requests.get', { ...mainFrame }, { id: 'r1' });
    expect(reply).toEqual({ ok: true, result: { channel: 'requests.get' } });
    expect(handlers['requests.get']).toHaveBeenCalledWith({ id: 'r1' });
  });

  it('refuses a different frame (an iframe in the same page) with forbidden, before the handler runs', async () => {
    const { invoke, handlers } = setup();
    const iframe = { url: APP_URL, processId: 4, routingId: 7 };
    const reply = await invoke('status.get', iframe, {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(handlers['status.get']).not.toHaveBeenCalled();
  });

  it('refuses the main frame once it shows a foreign URL', async () => {
    const foreign = { ...mainFrame, url: 'https://evil.example/' };
    const { invoke, handlers } = setup(fakeHandlers(), foreign);
    expect(await invoke('status.get', foreign, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const otherFile = { ...mainFrame, url: pathToFileURL('/tmp/other.html').href };
    const second = setup(fakeHandlers(), otherFile);
    expect(await second.invoke('status.get', otherFile, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(handlers['status.get']).not.toHaveBeenCalled();
  });

  it('refuses a sender whose frame is gone (null) and any call when there is no window', async () => {
    const { invoke } = setup();
    expect(await invoke('status.get', null, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const noWindow = setup(fakeHandlers(), null);
    expect(await noWindow.invoke('status.get', mainFrame, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses an invalid payload with invalid_payload, naming the field, before the handler runs', async () => {
    const { invoke, handlers } = setup();
    const reply = await invoke('requests.list', mainFrame, { filter: {}, limit: 100_000 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect((reply as { error: { message: string } }).error.message).toContain('limit');
    const extra = await invoke('status.get', mainFrame, { sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const notObject = await invoke('requests.get', mainFrame, 'r1');
    expect(notObject).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(handlers['requests.list']).not.toHaveBeenCalled();
    expect(handlers['requests.get']).not.toHaveBeenCalled();
  });

  it('turns a handler that throws into { ok: false, error } with one line and no stack', async () => {
    const failing = fakeHandlers({
      'requests.get': async () => {
        throw new Error('database is locked\n    at Store.get (store.ts:1:1)');
      },
    });
    const onError = vi.fn();
    const { ipc, handlers: registered } = fakeIpcMain();
    registerIpc(ipc, failing, { isTrustedSender: () => true, onError });
    const reply = await registered.get('streamtap:requests.get')!({ senderFrame: mainFrame }, { id: 'x' });
    expect(reply).toEqual({ ok: false, error: { code: 'internal', message: 'database is locked' } });
    expect(onError).toHaveBeenCalledWith('requests.get', 'database is locked');
  });

  it('treats a sender check that throws as a refusal', async () => {
    const { ipc, handlers: registered } = fakeIpcMain();
    const handlers = fakeHandlers();
    registerIpc(ipc, handlers, {
      isTrustedSender: () => {
        throw new Error('frame disposed');
      },
    });
    expect(await registered.get('streamtap:status.get')!({ senderFrame: mainFrame }, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(handlers['status.get']).not.toHaveBeenCalled();
  });
});

describe('createAppUrlCheck', () => {
  it('accepts the app page on app://streamtap with a query or hash, and no file: URL at all', () => {
    const check = createAppUrlCheck();
    expect(check(APP_URL)).toBe(true);
    expect(check('app://streamtap/')).toBe(true);
    expect(check(`${APP_URL}#/requests/r1`)).toBe(true);
    expect(check(`${APP_URL}?view=sessions`)).toBe(true);
    expect(check('app://streamtap/assets/index.js')).toBe(false);
    expect(check('app://other/index.html')).toBe(false);
    // the renderer's own file is not the app when loaded as a file: 'self' there is every file
    expect(check(pathToFileURL(RENDERER).href)).toBe(false);
    expect(check('file://remote-host/opt/streamtap/out/renderer/index.html')).toBe(false);
    expect(check('http://127.0.0.1:7788/')).toBe(false);
    expect(check('not a url')).toBe(false);
  });

  it('in dev accepts only the loopback dev server origin', () => {
    const check = createAppUrlCheck({ devServerUrl: 'http://localhost:5173' });
    expect(check('http://localhost:5173/')).toBe(true);
    expect(check('http://localhost:5173/src/main.tsx')).toBe(true);
    expect(check('http://localhost:5174/')).toBe(false);
    expect(check(APP_URL)).toBe(false);
    const remote = createAppUrlCheck({ devServerUrl: 'http://example.com:5173' });
    expect(remote('http://example.com:5173/')).toBe(false);
  });
});

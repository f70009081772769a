// The preload bridge with a mocked `electron`: it exposes exactly one global with
// call() and subscribe(), forwards only contract channels, unwraps main's replies, and
// never hands the page an IpcRendererEvent (whose `sender` is ipcRenderer itself).

import type { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, type LiveEvent, type StreamtapApi } from '../../src-main/common/contract.js';

const electron = vi.hoisted(() => ({ exposed: new Map<string, unknown>() }));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const ipcRenderer = Object.assign(new Emitter(), {
    invoke: vi.fn(async (channel: string, args: unknown): Promise<unknown> => {
      if (channel === 'streamtap:requests.get') {
        const { id } = args as { id: string };
        return id === 'missing' ? { ok: false, error: { code: 'not_found', message: 'no request missing' } } : { ok: true, result: { id } };
      }
      return { ok: true, result: null };
    }),
  });
  return {
    ipcRenderer,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
  };
});

await import('../../src-preload/index.js');
const { ipcRenderer } = (await import('electron')) as unknown as { ipcRenderer: EventEmitter & { invoke: ReturnType<typeof vi.fn> } };
const api = electron.exposed.get('streamtap') as StreamtapApi;

describe('preload bridge', () => {
  it('exposes one global, streamtap, with call and subscribe only', () => {
    expect([...electron.exposed.keys()]).toEqual(['streamtap']);
    expect(Object.keys(api).sort()).toEqual(['call', 'subscribe']);
  });

  it('forwards a contract channel to streamtap:<channel> and resolves with the result', async () => {
    await expect(api.call('requests.get', { id: 'r1' })).resolves.toEqual({ id: 'r1' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith('streamtap:requests.get', { id: 'r1' });
  });

  it('rejects with a plain { code, message } when main answers with an error', async () => {
    await expect(api.call('requests.get', { id: 'missing' })).rejects.toEqual({ code: 'not_found', message: 'no request missing' });
  });

  it('rejects an unknown channel locally, without any IPC', async () => {
    ipcRenderer.invoke.mockClear();
    await expect(api.call('fs.readFile' as never, {} as never)).rejects.toMatchObject({ code: 'unknown_channel' });
    await expect(api.call('__proto__' as never, {} as never)).rejects.toMatchObject({ code: 'unknown_channel' });
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
    expect(CHANNEL_NAMES.length).toBeGreaterThan(0);
  });

  it('relays live events (payload only) to subscribers until they unsubscribe', () => {
    const seen: unknown[][] = [];
    const unsubscribe = api.subscribe((...args: unknown[]) => seen.push(args));
    expect(ipcRenderer.listenerCount('streamtap:live.events')).toBe(1);
    const ev: LiveEvent = { type: 'export.progress', exportId: 'x', written: 5, done: false };
    ipcRenderer.emit('streamtap:live.events', { sender: ipcRenderer }, ev);
    expect(seen).toEqual([[ev]]);
    unsubscribe();
    unsubscribe(); // idempotent
    ipcRenderer.emit('streamtap:live.events', { sender: ipcRenderer }, ev);
    expect(seen).toHaveLength(1);
    expect(ipcRenderer.listenerCount('streamtap:live.events')).toBe(0);
  });

  it('keeps one IPC listener for many subscribers', () => {
    const a = api.subscribe(() => {});
    const b = api.subscribe(() => {});
    expect(ipcRenderer.listenerCount('streamtap:live.events')).toBe(1);
    a();
    expect(ipcRenderer.listenerCount('streamtap:live.events')).toBe(1);
    b();
    expect(ipcRenderer.listenerCount('streamtap:live.events')).toBe(0);
  });
});

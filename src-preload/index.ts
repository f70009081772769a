// The preload bridge: exposes ONE global, `window.streamtap`, built from the contract's
// channel list. It holds no logic: `call` forwards to the main process's handler for
// that channel and unwraps its { ok, result | error } envelope; `subscribe` relays the
// live event stream. The page never sees ipcRenderer or an IpcRendererEvent (whose
// `sender` is ipcRenderer itself), so it can reach only the listed channels.
//
// Runs sandboxed (sandbox: true, contextIsolation: true): bundled to one CommonJS file,
// and may require only `electron` (see electron.vite.config.ts).

// First: the contract below builds zod schemas (see zod-jitless.ts).
import '../src-main/common/zod-jitless.js';
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNEL_NAMES, LIVE_CHANNEL, type ApiError, type ChannelName, type LiveEvent } from '../src-main/common/contract.js';
import { IPC_PREFIX, type IpcReply } from '../src-main/electron/ipc-names.js';

const KNOWN = new Set<string>(CHANNEL_NAMES);

// Errors cross the context bridge as plain { code, message } objects: the bridge would
// rebuild an Error from its message alone and drop `code`.
function reject(error: ApiError): Promise<never> {
  return Promise.reject({ code: error.code, message: error.message });
}

async function call(channel: ChannelName, args: unknown): Promise<unknown> {
  // Checked here too so a typo fails at once with a clear error rather than as an
  // "unhandled IPC channel" from main.
  if (typeof channel !== 'string' || !KNOWN.has(channel)) {
    return reject({ code: 'unknown_channel', message: `unknown channel ${String(channel)}` });
  }
  const reply = (await ipcRenderer.invoke(IPC_PREFIX + channel, args)) as IpcReply;
  return reply.ok ? reply.result : reject(reply.error);
}

const listeners = new Set<(event: LiveEvent) => void>();
const relay = (_event: IpcRendererEvent, payload: LiveEvent): void => {
  for (const listener of listeners) listener(payload);
};

function subscribe(listener: (event: LiveEvent) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('subscribe expects a function');
  // One ipcRenderer listener for all subscribers, attached while there is at least one.
  if (listeners.size === 0) ipcRenderer.on(IPC_PREFIX + LIVE_CHANNEL, relay);
  listeners.add(listener);
  return () => {
    if (!listeners.delete(listener)) return;
    if (listeners.size === 0) ipcRenderer.removeListener(IPC_PREFIX + LIVE_CHANNEL, relay);
  };
}

contextBridge.exposeInMainWorld('streamtap', { call, subscribe });

// The IPC transport: a thin wrapper over the `window.streamtap` bridge the preload
// exposes (contextIsolation on: the page never sees ipcRenderer). It only normalises
// errors, because Electron prefixes a rejected invoke with "Error invoking remote
// method '<channel>':", which is noise for the person reading it.

import { isApiErrorCode, type ChannelArgs, type ChannelName, type ChannelResult, type LiveEvent, type StreamtapApi } from '../../src-main/common/contract.js';
import { ApiCallError, type RendererApi } from './streamtap-api.js';

/** The bridge, when the page runs in the Electron window. Read without a global
 * declaration so the preload's own typing is the only one. */
export function ipcBridge(): StreamtapApi | null {
  const w = globalThis as unknown as { streamtap?: StreamtapApi };
  return w.streamtap && typeof w.streamtap.call === 'function' && typeof w.streamtap.subscribe === 'function' ? w.streamtap : null;
}

function normalise(err: unknown): ApiCallError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const message = raw.replace(/^Error invoking remote method '[^']*':\s*(\w*Error:\s*)?/, '');
  const code = isApiErrorCode(e.code) ? e.code : 'internal';
  return new ApiCallError(code, message);
}

export function createIpcTransport(bridge: StreamtapApi): RendererApi {
  return {
    transport: 'ipc',
    async call<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
      try {
        return await bridge.call(channel, args);
      } catch (err) {
        throw normalise(err);
      }
    },
    subscribe(listener: (event: LiveEvent) => void): () => void {
      return bridge.subscribe(listener);
    },
    onConnection(listener) {
      listener('open');
      return () => {};
    },
  };
}

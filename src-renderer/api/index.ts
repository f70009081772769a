// Transport choice at startup: inside the Electron window the preload has exposed
// `window.streamtap` (IPC); anywhere else the page was served by `streamtap serve` and
// talks HTTP + SSE with the token from its URL.

import { createHttpTransport, takeToken } from './http-transport.js';
import { createIpcTransport, ipcBridge } from './ipc-transport.js';
import type { RendererApi } from './streamtap-api.js';

export type Connected = { ok: true; api: RendererApi } | { ok: false; error: string };

export function connect(): Connected {
  const bridge = ipcBridge();
  if (bridge) return { ok: true, api: createIpcTransport(bridge) };
  const token = takeToken();
  if (!token) {
    return {
      ok: false,
      error: 'This page needs the dashboard address that "streamtap serve" printed when it started: it carries a one-time token. Open that address (it ends in ?token=…).',
    };
  }
  return { ok: true, api: createHttpTransport(token) };
}

export type { RendererApi } from './streamtap-api.js';

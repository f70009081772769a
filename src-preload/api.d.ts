// The type of the one global the preload exposes. Included by the renderer's
// tsconfig (tsconfig.web.json: src-preload/*.d.ts), so the renderer sees
// `window.streamtap` without importing anything from the preload.
//
// `streamtap` is undefined when the dashboard runs in a browser (headless server):
// the renderer then uses its HTTP transport.
//
// `call` rejects with a plain `ApiError` object ({ code, message }), not an Error:
// Electron's context bridge would rebuild an Error from its message and drop `code`.

import type { StreamtapApi } from '../src-main/common/contract.js';

declare global {
  interface Window {
    streamtap?: StreamtapApi;
  }
}

export {};

// Which URLs are Streamtap's own renderer. Used by the IPC sender check (only the app's
// own page may call the core), by navigation blocking (the window never leaves it) and
// by the permission handler (only the app's page may write the clipboard).
// Plain Node; no electron import, so it is tested directly.

import { APP_HOST, APP_SCHEME } from './app-protocol.js';

export interface AppUrlOptions {
  /** electron-vite's dev server (ELECTRON_RENDERER_URL), only in `electron-vite dev` */
  devServerUrl?: string | undefined;
}

export type AppUrlCheck = (url: string) => boolean;

/**
 * True for the renderer's own page: app://streamtap/index.html (or `/`), with any query
 * or hash, which the SPA may use for its routes; in `electron-vite dev`, any page of the
 * dev server's origin. file:// is never the app (the renderer is not served from it).
 * Anything unparsable is foreign.
 */
export function createAppUrlCheck(opts: AppUrlOptions = {}): AppUrlCheck {
  let devOrigin: string | null = null;
  if (opts.devServerUrl) {
    try {
      const u = new URL(opts.devServerUrl);
      // Only a loopback http dev server is trusted; anything else is a misconfiguration.
      if (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) devOrigin = u.origin;
    } catch {
      devOrigin = null;
    }
  }
  return (url: string): boolean => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (devOrigin !== null) return u.origin === devOrigin;
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && (u.pathname === '/index.html' || u.pathname === '/');
  };
}

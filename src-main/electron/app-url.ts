// Which URLs are Streamtap's own renderer. Used by the IPC sender check (only the app's
// own page may call the core) and by navigation blocking (the window never leaves it).
// Plain Node; no electron import, so it is tested directly.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppUrlOptions {
  /** absolute path of out/renderer/index.html */
  rendererFile: string;
  /** electron-vite's dev server (ELECTRON_RENDERER_URL), only in `electron-vite dev` */
  devServerUrl?: string | undefined;
}

export type AppUrlCheck = (url: string) => boolean;

function samePath(a: string, b: string): boolean {
  const na = path.normalize(a);
  const nb = path.normalize(b);
  // Windows paths are case-insensitive, and file URLs may differ in drive-letter case.
  return process.platform === 'win32' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}

/**
 * True for the renderer's own page: the file URL of index.html (any query or hash, which
 * the SPA may use for its routes), or any page of the dev server's origin. Anything
 * unparsable is foreign.
 */
export function createAppUrlCheck(opts: AppUrlOptions): AppUrlCheck {
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
  const rendererFile = path.resolve(opts.rendererFile);
  return (url: string): boolean => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (devOrigin !== null) return u.origin === devOrigin;
    if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false;
    try {
      return samePath(fileURLToPath(`file://${u.pathname}`), rendererFile);
    } catch {
      return false;
    }
  };
}

// The renderer is served from `app://streamtap/`, a privileged scheme of the app's own,
// not from file://. Under file:// the CSP's 'self' matches every local file, so a page
// that has been made to load `file:///somewhere/evil.js` would run it; under app:// 'self'
// is exactly the renderer's own folder, and nothing else answers on that origin. The
// handler serves only files inside out/renderer (no `..`, no other host), with the full
// Content-Security-Policy as a header on every response (custom-protocol responses do
// not pass through webRequest, so the session's header hook never sees them).
// Plain Node (Request/Response are web globals): tested without Electron.

import fs from 'node:fs/promises';
import path from 'node:path';
import { contentTypeFor } from '../core/content-types.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'streamtap';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** What the window loads in a built app. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** For protocol.registerSchemesAsPrivileged, before the app is ready: a standard,
 * secure origin (so 'self', fetch and ES modules work as on https), nothing more. */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
} as const;

/**
 * The file an app:// URL names, or null when it is not one of the renderer's files: a
 * foreign host, a path that escapes the folder (`..`, also percent-encoded), a NUL byte
 * or a malformed escape. `/` is index.html.
 */
export function resolveAppFile(rendererDir: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${rel}`);
  return file.startsWith(root + path.sep) ? file : null;
}

export interface AppProtocolOptions {
  /** out/renderer */
  rendererDir: string;
  csp: string;
  readFile?: (file: string) => Promise<Uint8Array>;
}

/** The handler for protocol.handle(APP_SCHEME, …). */
export function createAppProtocolHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  const readFile = opts.readFile ?? ((file: string) => fs.readFile(file));
  const headers = (extra: Record<string, string>) => ({
    'content-security-policy': opts.csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
    ...extra,
  });
  const plain = (status: number, text: string) => new Response(text, { status, headers: headers({ 'content-type': 'text/plain; charset=utf-8' }) });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    const file = resolveAppFile(opts.rendererDir, request.url);
    if (!file) return plain(404, 'not found');
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch {
      return plain(404, 'not found');
    }
    return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers: headers({ 'content-type': contentTypeFor(file) }) });
  };
}

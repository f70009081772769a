// Locks down what the renderer can do beyond calling the contract: a strict Content
// Security Policy, no permission but writing the clipboard from the app's own page, no
// navigation away from it, no new windows, no <webview>. The page shows request and response bodies recorded from
// LLM traffic, i.e. text an attacker may control; these rules keep a rendering bug
// from turning into code execution or data leaving the machine.

import type { Session, WebContents } from 'electron';
import type { AppUrlCheck } from './app-url.js';

/**
 * The production policy. Scripts and styles come only from the app's own files
 * (inline styles are allowed: React's style attributes and the virtual list's row
 * positions need them, and they cannot run code); no plugins, no frames, no <base>,
 * no form posts; connections only to the app itself — the renderer reaches the core
 * over IPC, never over the network.
 */
export const PRODUCTION_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `electron-vite dev` only: Vite's React refresh preamble is an inline script and hot
 * reload talks over a WebSocket to the dev server.
 */
export function devCsp(devServerUrl: string): string {
  const u = new URL(devServerUrl);
  const ws = `ws://${u.host}`;
  return PRODUCTION_CSP.replace("script-src 'self'", `script-src 'self' 'unsafe-inline' ${u.origin}`).replace(
    "connect-src 'self'",
    `connect-src 'self' ${u.origin} ${ws}`,
  );
}

export interface HardenSessionOptions {
  csp: string;
  isAppUrl: AppUrlCheck;
}

/** The one permission the page gets: the copy buttons' navigator.clipboard.writeText
 * (Chromium's sanitized write: plain text and safe formats). Reading stays denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** Whether `permission`, asked for by a frame at `url`, is granted: only an allowed one,
 * only to the app's own page (not to an iframe or a page it was tricked into loading). */
export function isPermissionAllowed(isAppUrl: AppUrlCheck, permission: string, url: string | undefined): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && url !== undefined && isAppUrl(url);
}

/**
 * Denies every permission request (camera, notifications, clipboard-read…) and
 * permission check but ALLOWED_PERMISSIONS for the app's page, and adds the CSP header
 * to every response the session receives over http (the dev server; the app:// handler
 * sets it on its own responses, which webRequest does not see). The renderer's
 * index.html also carries the policy in a meta tag.
 */
export function hardenSession(session: Session, opts: HardenSessionOptions): () => void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(opts.isAppUrl, permission, details?.requestingUrl)),
  );
  // Checks carry the origin; the app's origin stands for its page ('/').
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    isPermissionAllowed(opts.isAppUrl, permission, details?.requestingUrl ?? (requestingOrigin ? `${requestingOrigin}/` : undefined)),
  );
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string | string[]> = { ...(details.responseHeaders ?? {}) };
    // Replace, never merge, any policy a dev server might send.
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    headers['Content-Security-Policy'] = [opts.csp];
    callback({ responseHeaders: headers });
  });
  return () => {
    session.setPermissionRequestHandler(null);
    session.setPermissionCheckHandler(null);
    session.webRequest.onHeadersReceived(null);
  };
}

export interface HardenContentsOptions {
  isAppUrl: AppUrlCheck;
  /** opens a URL in the user's browser (shell.openExternal) */
  openExternal(url: string): void;
}

/** Only http(s) links leave the app, and only to the user's browser. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Applied to every WebContents the app creates (app 'web-contents-created'). */
export function hardenWebContents(contents: WebContents, opts: HardenContentsOptions): void {
  // The window shows one page for its whole life: a link, a form or a script that
  // tries to load anything else is stopped.
  const stayOnApp = (event: { preventDefault(): void }, url: string) => {
    if (!opts.isAppUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayOnApp);
  contents.on('will-redirect', stayOnApp);
  contents.on('will-frame-navigate', (event) => {
    if (!opts.isAppUrl(event.url)) event.preventDefault();
  });
  // No new windows, ever; a web link (docs, a provider's status page) opens in the
  // user's browser instead, where it has none of the app's privileges.
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) opts.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

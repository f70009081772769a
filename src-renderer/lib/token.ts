// The headless dashboard's per-launch token arrives once, in the URL the server prints
// (`…/__streamtap/?token=…`). It is moved to sessionStorage and removed from the address
// bar at load so it does not end up in bookmarks, screenshots or shared links. Pure
// (the caller passes the URL and gets back the URL to show).

import { API_ROUTES, DASHBOARD_PREFIX, TOKEN_PARAM } from '../../src-main/common/routes.js';

export const TOKEN_STORAGE_KEY = 'streamtap.token';

export function extractToken(href: string): { token: string | null; cleanedUrl: string | null } {
  const url = new URL(href);
  const token = url.searchParams.get(TOKEN_PARAM);
  if (token === null) return { token: null, cleanedUrl: null };
  url.searchParams.delete(TOKEN_PARAM);
  const search = url.searchParams.toString();
  return { token: token || null, cleanedUrl: `${url.pathname}${search ? `?${search}` : ''}${url.hash}` };
}

export function exportUrl(opts: { format: string; filter: unknown; token: string; exportId: string }): string {
  const q = new URLSearchParams({ format: opts.format, filter: JSON.stringify(opts.filter), [TOKEN_PARAM]: opts.token, exportId: opts.exportId });
  return `${API_ROUTES.export}?${q.toString()}`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A dashboard URL pasted by the user after their token was refused: it must be one that
 * `streamtap serve` prints (a loopback address, the dashboard path, a token), so the
 * page never navigates anywhere else on the strength of pasted text.
 */
export function parseDashboardUrl(text: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, error: 'That is not a URL. Paste the whole "dashboard http://127.0.0.1:…" address.' };
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return { ok: false, error: 'Streamtap serves its dashboard on 127.0.0.1 only.' };
  if (!url.pathname.startsWith(`${DASHBOARD_PREFIX}/`)) return { ok: false, error: 'That is not a Streamtap dashboard address (it ends in /__streamtap/?token=…).' };
  if (!url.searchParams.get(TOKEN_PARAM)) return { ok: false, error: 'That address has no ?token=…; copy the whole line "streamtap serve" printed.' };
  return { ok: true, url: url.toString() };
}

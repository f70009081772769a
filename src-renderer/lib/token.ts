// The headless dashboard's per-launch token arrives once, in the URL the server prints
// (`…/__streamtap/?token=…`). It is moved to sessionStorage and removed from the address
// bar at load so it does not end up in bookmarks, screenshots or shared links. Pure
// (the caller passes the URL and gets back the URL to show).

export const TOKEN_PARAM = 'token';
export const TOKEN_STORAGE_KEY = 'streamtap.token';

export function extractToken(href: string): { token: string | null; cleanedUrl: string | null } {
  const url = new URL(href);
  const token = url.searchParams.get(TOKEN_PARAM);
  if (token === null) return { token: null, cleanedUrl: null };
  url.searchParams.delete(TOKEN_PARAM);
  const search = url.searchParams.toString();
  return { token: token || null, cleanedUrl: `${url.pathname}${search ? `?${search}` : ''}${url.hash}` };
}

/** The path the dashboard's API lives under, on the proxy's own port. */
export const API_PREFIX = '/__streamtap/api';

export function exportUrl(opts: { format: string; filter: unknown; token: string; exportId: string }): string {
  const q = new URLSearchParams({ format: opts.format, filter: JSON.stringify(opts.filter), token: opts.token, exportId: opts.exportId });
  return `${API_PREFIX}/export?${q.toString()}`;
}

// Streamtap's own paths on the proxy's port, and the dashboard API's names, once: the
// proxy routes by them, the headless dashboard server serves them, the page calls them.

/** Everything under this path is Streamtap's (the dashboard and its API), never forwarded. */
export const DASHBOARD_PREFIX = '/__streamtap';
/** The dashboard API: `call/<channel>` (POST, JSON args), `events` (SSE), `export` (GET download). */
export const API_PREFIX = `${DASHBOARD_PREFIX}/api/`;
export const API_ROUTES = {
  call: (channel: string): string => `${API_PREFIX}call/${encodeURIComponent(channel)}`,
  events: `${API_PREFIX}events`,
  export: `${API_PREFIX}export`,
} as const;

/** The per-launch dashboard token: a header on calls, a query parameter where a browser
 * cannot set headers (the page's first URL, EventSource, a download link). */
export const TOKEN_HEADER = 'x-streamtap-token';
export const TOKEN_PARAM = 'token';

/** What an upstream may be called: it becomes the first path segment (`/<name>/…`). */
export const UPSTREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/i;
/** Names that would shadow Streamtap's own routes. */
export const RESERVED_UPSTREAM_NAMES: readonly string[] = ['v1', DASHBOARD_PREFIX.slice(1)];

// The HTTP transport, for the dashboard served by `streamtap serve` in a browser:
//   calls   POST /__streamtap/api/call/<channel>, JSON args, header x-streamtap-token
//   live    EventSource /__streamtap/api/events?token=…  (event name `live`, data = LiveEvent)
//   export  a hidden anchor navigated to /__streamtap/api/export?format=…&filter=…&token=…
//           so the browser streams the file to disk itself (no Blob of a large export in
//           memory, no frozen tab)
// EventSource cannot send headers, hence the token in its query string; everything else
// sends it as a header. The API is same-origin only (the server refuses foreign Origins).
// The token is kept by the server across restarts; when it is refused (the server was
// started with a new one) the transport says so once and stops: retrying cannot help,
// only the new dashboard URL can.

import type { ApiError, ChannelArgs, ChannelName, ChannelResult, ExportResult, LiveEvent } from '../../src-main/common/contract.js';
import { API_ROUTES, TOKEN_HEADER, TOKEN_PARAM } from '../../src-main/common/routes.js';
import { exportUrl, extractToken, TOKEN_STORAGE_KEY } from '../lib/token.js';
import { ApiCallError, type ConnectionState, type RendererApi } from './streamtap-api.js';

/** Reads the token from the page URL (then hides it) or from this tab's sessionStorage. */
export function takeToken(): string | null {
  const { token, cleanedUrl } = extractToken(window.location.href);
  if (token) {
    try {
      sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      // storage disabled: the token still works for this page's lifetime
    }
    if (cleanedUrl !== null) window.history.replaceState(window.history.state, '', cleanedUrl);
    return token;
  }
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

export const TOKEN_REFUSED_HINT =
  'Streamtap refused this tab\'s dashboard token: it was started with a new one (after --rotate-token, or with another data folder). Open the dashboard URL that "streamtap serve" printed, or paste it here.';

function asApiError(body: unknown): ApiError | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { error?: unknown; code?: unknown; message?: unknown };
  const e = (b.error && typeof b.error === 'object' ? b.error : b) as { code?: unknown; message?: unknown };
  if (typeof e.message === 'string') return { code: (typeof e.code === 'string' ? e.code : 'internal') as ApiError['code'], message: e.message };
  return null;
}

export function createHttpTransport(token: string): RendererApi {
  const listeners = new Set<(e: LiveEvent) => void>();
  const connListeners = new Set<(s: ConnectionState, detail?: string) => void>();
  let source: EventSource | null = null;
  let state: ConnectionState = 'connecting';
  let everOpened = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let retryDelay = 1000;
  let refused = false;

  const setState = (s: ConnectionState, detail?: string): void => {
    state = s;
    for (const l of connListeners) l(s, detail);
  };

  const onLive = (msg: MessageEvent<string>): void => {
    let data: unknown;
    try {
      data = JSON.parse(msg.data);
    } catch {
      console.warn('streamtap: dropped a live event that is not JSON', msg.data);
      return;
    }
    // Validation happens in the store (parseLiveEvent), once for both transports.
    for (const l of listeners) l(data as LiveEvent);
  };

  const refuse = (): void => {
    if (refused) return;
    refused = true;
    close();
    setState('refused', TOKEN_REFUSED_HINT);
  };

  /** After the browser gave up on the event stream: a refused token, or a server that is down? */
  const probe = async (): Promise<'refused' | 'other'> => {
    try {
      const res = await fetch(API_ROUTES.call('status.get'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
        body: '{}',
        credentials: 'same-origin',
        cache: 'no-store',
      });
      return res.status === 401 ? 'refused' : 'other';
    } catch {
      return 'other';
    }
  };

  const scheduleRetry = (): void => {
    if (!listeners.size || retryTimer !== null || refused) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (listeners.size) open();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15_000);
  };

  const open = (): void => {
    if (source || refused) return;
    const es = new EventSource(`${API_ROUTES.events}?${TOKEN_PARAM}=${encodeURIComponent(token)}`);
    source = es;
    es.addEventListener('live', onLive as EventListener);
    es.onopen = () => {
      retryDelay = 1000;
      // After a reconnect, events may have been missed: 'open' after 'reconnecting'
      // tells the stores to re-query what they show.
      setState('open', everOpened ? 'reconnected' : undefined);
      everOpened = true;
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (a non-200 answer such as 401 or 503, or the server is
        // gone): a refused token ends it; anything else is retried with backoff while
        // anyone listens.
        es.close();
        if (source === es) source = null;
        setState('reconnecting', 'The live feed is down; retrying…');
        void probe().then((why) => (why === 'refused' ? refuse() : scheduleRetry()));
      } else {
        setState('reconnecting', 'The live feed dropped; reconnecting…');
      }
    };
  };

  const close = (): void => {
    source?.close();
    source = null;
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
  };

  async function post<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
    if (refused) throw new ApiCallError('unauthorized', TOKEN_REFUSED_HINT);
    let res: Response;
    try {
      res = await fetch(API_ROUTES.call(channel), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      throw new ApiCallError('network', 'Streamtap is not answering. Is "streamtap serve" still running?');
    }
    if (res.status === 401) {
      refuse();
      throw new ApiCallError('unauthorized', TOKEN_REFUSED_HINT);
    }
    if (res.status === 403) {
      const e = asApiError(await res.json().catch(() => null));
      throw new ApiCallError('forbidden', e?.message ?? `${channel}: refused (HTTP 403)`);
    }
    const body: unknown = await res.json().catch(() => undefined);
    // The server answers either with the dispatch envelope { ok, result | error } or with
    // the bare result; both are accepted.
    if (body && typeof body === 'object' && typeof (body as { ok?: unknown }).ok === 'boolean') {
      const env = body as { ok: boolean; result?: unknown; error?: unknown };
      if (env.ok) return env.result as ChannelResult<C>;
      const e = asApiError(env.error) ?? { code: 'internal', message: `${channel} failed` };
      throw new ApiCallError(e.code, e.message);
    }
    if (!res.ok) {
      const e = asApiError(body) ?? { code: 'internal' as const, message: `${channel}: HTTP ${res.status}` };
      throw new ApiCallError(e.code, e.message);
    }
    if (body === undefined) throw new ApiCallError('internal', `${channel}: the answer was not JSON`);
    return body as ChannelResult<C>;
  }

  return {
    transport: 'http',
    call<C extends ChannelName>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
      if (channel === 'export.run') {
        // The browser saves the file itself: navigate a hidden anchor to the export URL.
        const a = args as ChannelArgs<'export.run'>;
        const link = document.createElement('a');
        link.href = exportUrl({ format: a.format, filter: a.filter, token, exportId: a.exportId });
        link.download = '';
        link.rel = 'noopener';
        link.style.display = 'none';
        document.body.appendChild(link);
        link.click();
        link.remove();
        // The count is not known yet: the server streams the file and reports it through
        // export.progress events for this exportId.
        const result: ExportResult = { status: 'downloaded', count: null };
        return Promise.resolve(result as ChannelResult<C>);
      }
      return post(channel, args);
    },
    subscribe(listener) {
      listeners.add(listener);
      open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) close();
      };
    },
    onConnection(listener) {
      connListeners.add(listener);
      listener(state);
      return () => connListeners.delete(listener);
    },
  };
}

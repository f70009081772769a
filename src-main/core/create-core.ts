// createCore(config) -> { start, stop, api, live }: the proxy, the recorder and the
// store wired together, and the core's only public surface. `api` is every contract
// channel (export included, as an async iterable of bytes), `live` the pushed changes
// with sequence numbers. The Electron shell, the headless CLI and the dashboard server
// are thin layers over it: they decide where the bytes go, never what is in them, and
// none of them sees the store. Nothing here knows which shell is running it.
//
// Inside core/ the same wiring is the CoreEngine (the store, the proxy, the counters),
// which the API model and the live feed are built over.

import path from 'node:path';
import type { AppStatus, LiveEvent } from '../common/contract.js';
import type { RequestRecord } from '../common/record.js';
import type { Settings } from '../common/settings.js';
import { resolveConfig, type CoreConfig } from './config.js';
import { SETTINGS_FILE, settingsToConfig } from './settings.js';
import { openStore, type RetentionResult, type Store, type StoreStatus } from './db/store.js';
import { buildAppStatus, createApiModel, createReadApi, type ApiModel, type ReadApi } from './api-model.js';
import { createLiveFeed, type LiveFeedOptions } from './live-feed.js';
import { ProxyServer, type DashboardRequestHandler } from './proxy/server.js';
import type { LiveDetail, RecordChange } from './recorder/recording.js';
import { classify, diagnose } from './recorder/classify.js';
import type { TokenEstimator } from './recorder/token-estimator.js';
import { createSessionLinker } from './sessions/linker.js';

export interface CoreStatus {
  listening: boolean;
  port: number | null;
  url: string | null;
  paused: boolean;
  live: number;
  store: StoreStatus;
  /** the last start error a user must see (port in use…), else null */
  error: string | null;
}

export interface CoreOptions {
  nativeBinding?: string;
  migrationsFolder?: string;
  dashboard?: DashboardRequestHandler;
  /** how the shell lets its user pick another port, added to the "port in use" error;
   * the default is the headless CLI's flag */
  portInUseHint?: string;
  /** the runtime the status reports; default 'headless' */
  runtime?: AppStatus['runtime'];
  /** the settings file `settings.set` writes; default settings.json beside the database */
  settingsFile?: string;
  /** counts output tokens of answers without usage (default: the process's worker,
   * started on first need) */
  estimator?: TokenEstimator;
}

export const CLI_PORT_HINT = 'choose another with --port';

/** How often retention runs while Streamtap records (the database grows with traffic). */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

export interface LiveSubscribeOptions extends Pick<LiveFeedOptions, 'intervalMs' | 'onError'> {
  /** status events only: record changes are not even summarized for this listener (the
   * CLI's degraded/recovered lines) */
  statusOnly?: boolean;
}

/** What the live source pushes to: a window (IPC), a browser (SSE), a test. */
export interface CoreLive {
  /** Every record change and status change, coalesced (at most one push of each per
   * interval). Each `records` and `status` event carries `seq`: every change the core
   * emits takes the next number, and requests.list answers with the seq it reflects,
   * so a listener applies a change exactly once. Returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void, opts?: LiveSubscribeOptions): () => void;
  /** the status now, as the live event a new listener starts from */
  status(): Extract<LiveEvent, { type: 'status' }>;
}

export interface Core {
  start(): Promise<{ port: number; url: string }>;
  /** Stops accepting at once; with `drainMs`, lets requests in flight finish for up to
   * that long (or until `signal` aborts), then records the rest `interrupted` and closes
   * the store. `flushTimeoutMs` bounds the wait for the store's last write, so a shell's
   * quit timer can fire. */
  stop(opts?: { drainMs?: number; signal?: AbortSignal; flushTimeoutMs?: number }): Promise<void>;
  readonly api: ApiModel;
  readonly live: CoreLive;
  /** Writes what is queued now, synchronously, waiting at most `timeoutMs` (an OS
   * session end, where the process is killed as soon as the handler returns). True when
   * nothing is left queued. */
  flushNow(timeoutMs: number): boolean;
}

/** The wiring inside core/: what the API model and the live feed are built over. */
export interface CoreEngine {
  readonly config: CoreConfig;
  readonly store: Store;
  start(): Promise<{ port: number; url: string }>;
  /** Stops accepting at once; with `drainMs`, lets requests in flight finish for up to
   * that long (or until `signal` aborts), then records the rest `interrupted` and closes
   * the store. `flushTimeoutMs` bounds the wait for the store's last write (see
   * Store.close), so a shell's quit timer can fire. */
  stop(opts?: { drainMs?: number; signal?: AbortSignal; flushTimeoutMs?: number }): Promise<void>;
  status(): CoreStatus;
  /** Requests recorded since local midnight of `now`'s day: a counter (seeded from the
   * database at start, then moved by each new record), never a query. */
  requestsToday(now?: number): number;
  setPaused(paused: boolean): void;
  /** A request still in flight: its events so far (times and names, no bodies) and its
   * answer as of the last checkpoint; else null. */
  liveDetail(id: string): LiveDetail | null;
  /** The one way settings reach a running core, in Electron and headless alike: upstreams,
   * timeouts, limits and retention apply in place (new requests use them, requests in
   * flight finish with theirs); only a new port rebinds (a new listener, while the old
   * one lets its requests finish, then closes). A port that cannot be bound rejects
   * with ListenError and changes nothing; a core whose start failed tries to listen. */
  applySettings(settings: Settings): Promise<void>;
  /** every record change, with its sequence number (see CoreLive) */
  onChange(listener: (change: RecordChange, seq: number) => void): () => void;
  /** Runs retention now (it also runs at start, on applySettings and every
   * RETENTION_INTERVAL_MS); resolves when this run is done. */
  applyRetention(): Promise<RetentionResult>;
  onStatus(listener: (status: CoreStatus) => void): () => void;
  /** the sequence number of the latest change emitted */
  seq(): number;
}

export { StoreOpenError } from './db/store.js';
export { resolveNativeBinding } from './db/native-binding.js';

export class ListenError extends Error {
  override name = 'ListenError';
}

/** What a record left in_progress by a previous run becomes. */
export function describeInterrupted(rec: RequestRecord): { diagnosis: string; phase: RequestRecord['phase'] } {
  const { phase } = classify({
    ending: { kind: 'shutdown' },
    httpStatus: rec.httpStatus,
    headersReceived: rec.httpStatus !== null,
    // The response's content type is not kept; a stream request got one, as a rule.
    sseResponse: rec.stream,
    terminalSeen: rec.evidence.terminalEventSeen,
    usageSeen: rec.evidence.usageSeen,
    streamError: rec.error,
    bytesToClient: rec.evidence.bytesToClient,
    stopReason: rec.stopReason,
  });
  return { diagnosis: diagnose({ ...rec, outcome: 'interrupted', phase }), phase };
}

export function localMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function createCore(config: CoreConfig, options: CoreOptions = {}): Core {
  return coreOver(createEngine(config, options), options);
}

/** The public surface over an engine (createCore; tests that need the engine itself). */
export function coreOver(engine: CoreEngine, options: CoreOptions = {}): Core {
  const { config } = engine;
  const runtime = options.runtime ?? 'headless';
  const api = createApiModel(engine, {
    runtime,
    settingsFile: options.settingsFile ?? path.join(path.dirname(config.dbPath), SETTINGS_FILE),
  });
  return {
    start: () => engine.start(),
    stop: (opts) => engine.stop(opts),
    api,
    live: {
      subscribe: (listener, { statusOnly, ...opts } = {}) =>
        createLiveFeed(statusOnly ? { onChange: () => () => undefined, onStatus: (l) => engine.onStatus(l) } : engine, listener, {
          ...opts,
          runtime,
          getStatus: () => buildAppStatus(engine, runtime),
          seq: () => engine.seq(),
        }),
      status: () => ({ type: 'status', seq: engine.seq(), status: buildAppStatus(engine, runtime) }),
    },
    flushNow: (timeoutMs) => engine.store.flush(timeoutMs),
  };
}

/** An api over an existing database, for the CLI's reading commands. */
export interface ReadOnlyCore {
  readonly dbPath: string;
  readonly api: ReadApi;
  close(): void;
}

/** Opens an existing database read-only: it never creates, migrates or writes the file
 * (a StoreOpenError says why not), works beside the recorder writing to it, and starts
 * no proxy. */
export function openReadOnlyCore(dbPath: string): ReadOnlyCore {
  const store = openStore({ path: dbPath, readOnly: true });
  // Nothing changes under this process's eyes: no live changes, nothing in flight.
  const api = createReadApi({ store, seq: () => 0, liveDetail: () => null });
  return { dbPath, api, close: () => store.close() };
}

export function createEngine(config: CoreConfig, options: CoreOptions = {}): CoreEngine {
  const store = openStore({
    path: config.dbPath,
    // With checkpoints every 200 ms, a crash loses at most ~250 ms of a stream.
    flushIntervalMs: 50,
    // Flushes run on the proxy's event loop: never wait long for a lock another process
    // holds; the store goes degraded and retries instead of stalling every stream.
    busyTimeoutMs: 100,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...(options.migrationsFolder ? { migrationsFolder: options.migrationsFolder } : {}),
  });
  const changeListeners = new Set<(c: RecordChange, seq: number) => void>();
  let seq = 0;
  const statusListeners = new Set<(s: CoreStatus) => void>();
  let paused = false;
  let port: number | null = null;
  let error: string | null = null;
  let proxy: ProxyServer | null = null;
  let started = false;
  // Requests per local day (key: its midnight). A status push (up to 4 a second) reads
  // this instead of counting rows: a count sees only what the writer thread has
  // committed, and waiting for it would hold every live stream.
  const perDay = new Map<number, number>();
  const countRequest = (startedAt: number) => {
    const day = localMidnight(startedAt);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    // Only today (and a request started just before midnight) is ever asked for.
    if (perDay.size > 3) perDay.delete(perDay.keys().next().value!);
  };

  const status = (): CoreStatus => ({
    listening: port !== null,
    port,
    url: port !== null ? `http://${config.host}:${port}` : null,
    paused,
    live: proxy?.liveCount() ?? 0,
    store: store.status(),
    error,
  });
  const publishStatus = () => {
    const s = status();
    for (const l of statusListeners) l(s);
  };
  const unwatchStore = store.onStatus(() => publishStatus());
  const listenError = (err: unknown, wanted: number): ListenError => {
    const code = (err as { code?: string }).code;
    return new ListenError(
      code === 'EADDRINUSE'
        ? `port ${wanted} on ${config.host} is already in use (another Streamtap, or another program); ${options.portInUseHint ?? CLI_PORT_HINT}`
        : code === 'EACCES'
          ? `not allowed to listen on ${config.host}:${wanted}`
          : `cannot listen on ${config.host}:${wanted}: ${(err as Error).message}`,
    );
  };
  /** Listens on config.port; a failure is kept as the status error and thrown. */
  const listen = async (p: ProxyServer) => {
    try {
      port = await p.listen();
    } catch (err) {
      const e = listenError(err, config.port);
      error = e.message;
      publishStatus();
      throw e;
    }
  };
  let retentionTimer: NodeJS.Timeout | null = null;
  const applyRetention = async (): Promise<RetentionResult> => {
    const result = await store.applyRetention({
      olderThan: config.retentionDays > 0 ? Date.now() - config.retentionDays * 86_400_000 : null,
      maxBytes: config.retentionMaxMiB > 0 ? config.retentionMaxMiB * 1024 * 1024 : null,
    });
    // The status carries the database's size.
    if (result.deleted > 0) publishStatus();
    return result;
  };

  /** Starts recording; again after a failed listen (applySettings with another port). */
  const start = async (): Promise<{ port: number; url: string }> => {
    if (!started) {
      started = true;
      await store.recoverInterrupted(describeInterrupted);
      // Once, before any traffic: nothing is queued, so the count is complete.
      const today = localMidnight(Date.now());
      perDay.set(today, store.count({ since: today }));
      // In the background, batch by batch on the writer thread: never in the way of
      // the first requests. (A run never rejects; the catch is for a status listener
      // that throws, which must not become an unhandled rejection.)
      void applyRetention().catch(() => undefined);
      retentionTimer = setInterval(() => void applyRetention().catch(() => undefined), RETENTION_INTERVAL_MS);
      retentionTimer.unref();
    }
    const linker = createSessionLinker(store);
    const created: ProxyServer = new ProxyServer({
      config,
      sink: {
        insert: (rec) => {
          countRequest(rec.startedAt);
          store.insert(rec);
        },
        update: (id, patch) => store.update(id, patch),
        linker,
      },
      onChange: (c) => {
        seq++;
        for (const l of changeListeners) l(c, seq);
      },
      hasListeners: () => changeListeners.size > 0,
      isPaused: () => paused,
      ...(options.dashboard ? { dashboard: options.dashboard } : {}),
      ...(options.estimator ? { estimator: options.estimator } : {}),
    });
    proxy = created;
    try {
      await listen(created);
    } catch (err) {
      proxy = null;
      throw err;
    }
    error = null;
    publishStatus();
    const bound = port ?? config.port;
    return { port: bound, url: `http://${config.host}:${bound}` };
  };

  return {
    config,
    store,
    start,
    async stop(opts = {}) {
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = null;
      if (proxy) await proxy.close(opts);
      proxy = null;
      port = null;
      unwatchStore();
      store.close(opts.flushTimeoutMs !== undefined ? { timeoutMs: opts.flushTimeoutMs } : {});
    },
    status,
    requestsToday(now = Date.now()) {
      return perDay.get(localMidnight(now)) ?? 0;
    },
    setPaused(p) {
      paused = p;
      publishStatus();
    },
    liveDetail(id) {
      return proxy?.liveDetail(id) ?? null;
    },
    async applySettings(settings) {
      // Checked whole before anything changes: an invalid value leaves the core as it was.
      const next = resolveConfig({ ...settingsToConfig(settings), host: config.host, dbPath: config.dbPath });
      if (started) {
        if (proxy && port !== null) {
          if (next.port !== port) {
            try {
              port = await proxy.rebind(next.port);
            } catch (err) {
              throw listenError(err, next.port);
            }
            config.port = next.port;
            error = null;
            // The status carries the port (the tray, the Setup view's snippets).
            publishStatus();
          }
        } else {
          // The start could not listen (its port was in use): try the new port.
          const before = config.port;
          config.port = next.port;
          try {
            await start();
          } catch (err) {
            config.port = before;
            throw err;
          }
        }
      } else config.port = next.port;
      // The proxy holds this very config object and reads it per request.
      const connectChanged = next.timeouts.connectMs !== config.timeouts.connectMs;
      config.upstreams = { ...next.upstreams };
      config.timeouts = { ...next.timeouts };
      config.limits = { ...next.limits };
      config.retentionDays = next.retentionDays;
      config.retentionMaxMiB = next.retentionMaxMiB;
      if (connectChanged) proxy?.setConnectTimeout(next.timeouts.connectMs);
      // The settings are applied either way; a delete that fails runs again at the next
      // round (and the store reports a failing disk through its status).
      void applyRetention().catch(() => undefined);
    },
    applyRetention,
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    seq: () => seq,
  };
}

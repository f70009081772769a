// createCore(config) -> { start, stop, store, onChange, onStatus }: the proxy, the
// recorder and the store wired together. The Electron shell and the headless CLI are
// thin layers over this; nothing here knows which one is running it.

import type { RawEvent, RequestRecord } from '../common/record.js';
import type { CoreConfig } from './config.js';
import { openStore, type RetentionResult, type Store, type StoreStatus } from './db/store.js';
import { ProxyServer, type SideHandler } from './proxy/server.js';
import type { RecordChange } from './recorder/recording.js';
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
  dashboard?: SideHandler;
  /** how the shell lets its user pick another port, added to the "port in use" error;
   * the default is the headless CLI's flag */
  portInUseHint?: string;
  /** counts output tokens of answers without usage (default: the process's worker,
   * started on first need) */
  estimator?: TokenEstimator;
}

export const CLI_PORT_HINT = 'choose another with --port';

/** How often retention runs while Streamtap records (the database grows with traffic). */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

export interface Core {
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
  /** A request still in flight: its events so far (times and names, no bodies); else null. */
  liveEvents(id: string): RawEvent[] | null;
  /** Applies upstreams, timeouts, limits and retention to the running proxy (new
   * requests use them; requests in flight keep theirs). The port is not changed here. */
  reconfigure(next: Pick<CoreConfig, 'upstreams' | 'timeouts' | 'limits' | 'retentionDays' | 'retentionMaxMiB'>): void;
  /** Runs retention now (it also runs at start, on reconfigure and every
   * RETENTION_INTERVAL_MS); resolves when this run is done. */
  applyRetention(): Promise<RetentionResult>;
  onChange(listener: (change: RecordChange) => void): () => void;
  onStatus(listener: (status: CoreStatus) => void): () => void;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** What a record left in_progress by a previous run becomes. */
export function describeInterrupted(rec: RequestRecord): { diagnosis: string; phase: RequestRecord['phase'] } {
  const { phase } = classify({
    ending: { kind: 'shutdown' },
    httpStatus: rec.httpStatus,
    headersReceived: rec.httpStatus !== null,
    isStream: rec.stream,
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
  const changeListeners = new Set<(c: RecordChange) => void>();
  const statusListeners = new Set<(s: CoreStatus) => void>();
  let paused = false;
  let port: number | null = null;
  let error: string | null = null;
  let proxy: ProxyServer | null = null;
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

  return {
    config,
    store,
    async start() {
      await store.recoverInterrupted(describeInterrupted);
      // Once, before any traffic: nothing is queued, so the count is complete.
      if (perDay.size === 0) {
        const today = localMidnight(Date.now());
        perDay.set(today, store.count({ since: today }));
      }
      // In the background, batch by batch on the writer thread: never in the way of
      // the first requests. (A run never rejects; the catch is for a status listener
      // that throws, which must not become an unhandled rejection.)
      void applyRetention().catch(() => undefined);
      retentionTimer = setInterval(() => void applyRetention().catch(() => undefined), RETENTION_INTERVAL_MS);
      retentionTimer.unref();
      const linker = createSessionLinker(store);
      proxy = new ProxyServer({
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
          for (const l of changeListeners) l(c);
        },
        hasListeners: () => changeListeners.size > 0,
        isPaused: () => paused,
        ...(options.dashboard ? { dashboard: options.dashboard } : {}),
        ...(options.estimator ? { estimator: options.estimator } : {}),
      });
      try {
        port = await proxy.listen();
      } catch (err) {
        const code = (err as { code?: string }).code;
        error =
          code === 'EADDRINUSE'
            ? `port ${config.port} on ${config.host} is already in use (another Streamtap, or another program); ${options.portInUseHint ?? CLI_PORT_HINT}`
            : code === 'EACCES'
              ? `not allowed to listen on ${config.host}:${config.port}`
              : `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`;
        proxy = null;
        publishStatus();
        throw new PortInUseError(error);
      }
      error = null;
      publishStatus();
      return { port, url: `http://${config.host}:${port}` };
    },
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
    liveEvents(id) {
      return proxy?.liveEvents(id) ?? null;
    },
    reconfigure(next) {
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
  };
}

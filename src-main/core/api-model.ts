// The API model: every channel of the contract (src-main/common/contract.ts),
// implemented over the core with no transport in sight, and the export as an async
// iterable of its bytes. The Electron IPC handlers, the headless HTTP API and the CLI
// are thin adapters over this one object, so the desktop window, the browser dashboard
// and the terminal see the same answers (HTTP Toolkit's "API model with thin REST and
// GraphQL adapters").
//
// `export.run` stays the transports' channel (in Electron a save dialog, in the browser
// a download): both are `export()` here, written to where the bytes go.
//
// The read channels need only a store (createReadApi): the CLI's reading commands get
// them over a read-only store, with no proxy and no writes.

import { PassThrough, type Readable } from 'node:stream';
import type { AppStatus, ExportFormat, Handlers, HandlerErrorCode, SetupInfo } from '../common/contract.js';
import type { RecordFilter } from '../common/record.js';
import type { LiveDetail } from './recorder/recording.js';
import type { CoreEngine } from './create-core.js';
import type { Store } from './db/store.js';
import { EXPORT_WRITERS, FLUSH_CHARS } from './export/writers.js';
import { parseSettings, readSettingsFile, writeSettingsFile } from './settings.js';
import { attemptsOf, clientName, getSession, listSessions, type GetSessionOptions } from './sessions.js';
import { SettingsSchema, type Settings } from '../common/settings.js';
import { firstLine } from '../common/errors.js';

export interface ExportArgs {
  filter: RecordFilter;
  format: ExportFormat;
  /** each record's raw SSE event log (large) */
  includeEvents?: boolean;
  /** the export's own timestamp; default now */
  exportedAt?: Date;
  /** the records written so far, every few hundred records and once at the end */
  onProgress?: (written: number) => void;
}

/** An export's bytes, pulled as they are read (backpressure reaches the store's
 * cursor), and the number of records once the last byte was read. Breaking off the
 * iteration (or destroying the stream) stops the export. */
export interface ExportStream extends AsyncIterable<Buffer> {
  readonly stream: Readable;
  readonly count: Promise<number>;
}

/** The channels that only read the database, and the export. */
export type ReadApi = Pick<
  Handlers,
  'requests.list' | 'requests.get' | 'requests.attempts' | 'requests.stats' | 'requests.histogram' | 'requests.facets' | 'sessions.list'
> & {
  /** `estimate: false` leaves out the tokenizer's input estimate (the CLI's JSON has none) */
  'sessions.get'(args: { id: string }, opts?: Pick<GetSessionOptions, 'estimate'>): ReturnType<Handlers['sessions.get']>;
  export(args: ExportArgs): ExportStream;
};

export type ApiModel = Omit<Handlers, 'export.run' | 'sessions.get' | 'status.get' | 'recording.setPaused'> &
  ReadApi & {
    // The status is pushed up to four times a second and read by the tray: synchronous.
    'status.get'(args: Record<string, never>): AppStatus;
    'recording.setPaused'(args: { paused: boolean }): AppStatus;
  };

export interface ApiModelOptions {
  runtime: 'electron' | 'headless';
  /** the settings file `settings.set` writes (and restores when applying fails) */
  settingsFile: string;
}

/** An error the contract's dispatch() passes through with its code (never a stack). */
export class ApiModelError extends Error {
  override name = 'ApiModelError';
  constructor(
    readonly code: HandlerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The status the tray and the window show, from the core's counters: it is pushed up to
 * four times a second while streams run, and never reads the database. */
export function buildAppStatus(core: CoreEngine, runtime: AppStatus['runtime'], now = Date.now()): AppStatus {
  const s = core.status();
  const store = s.store;
  const requestsToday = core.requestsToday(now);
  const problem =
    s.error ??
    (store.degraded
      ? `Recording is degraded: ${store.lastError ?? 'writes to the database are failing'} (${store.queued} writes waiting)`
      : null);
  return {
    listening: s.listening,
    port: s.port,
    baseUrl: s.url,
    paused: s.paused,
    live: s.live,
    requestsToday,
    storeDegraded: store.degraded,
    storeError: store.lastError,
    queuedWrites: store.queued,
    droppedWrites: store.dropped,
    problem,
    dbPath: core.config.dbPath,
    dbBytes: core.store.sizeOnDisk(),
    runtime,
  };
}

/** The configuration in effect, in the settings form. */
export function currentSettings(core: CoreEngine): Settings {
  const c = core.config;
  // Port 0 ("any free port", tests) is not a valid setting: report the port in use.
  const port = c.port === 0 ? (core.status().port ?? 0) : c.port;
  return {
    port,
    upstreams: { ...c.upstreams },
    timeouts: { ...c.timeouts },
    limits: { ...c.limits },
    retentionDays: c.retentionDays,
    retentionMaxMiB: c.retentionMaxMiB,
  };
}

export interface ReadApiSource {
  store: Store;
  /** the live sequence number the store's reads reflect once written() resolves */
  seq(): number;
  /** a request still in flight: its events so far and its answer */
  liveDetail(id: string): LiveDetail | null;
}

export function createReadApi({ store, seq, liveDetail }: ReadApiSource): ReadApi {
  // The latest seq whose changes were all committed when a list was read.
  let committed = 0;
  // Every read first awaits the writes queued before it (a request the dashboard was just
  // told about is in the list it asks for), without holding the event loop meanwhile.
  return {
    'requests.list': async ({ filter, limit, before }) => {
      // Taken before the wait: every change up to it had its write queued already, so
      // the list reflects it (and perhaps later ones, which are applied again harmlessly).
      // While writes fail (degraded) the list shows only what was committed before.
      const reflects = seq();
      if (await store.written()) committed = Math.max(committed, reflects);
      return { seq: committed, records: store.list(filter, before ? { limit, before } : { limit }) };
    },
    'requests.get': ({ id }) => {
      // get() lays the queue over the database itself: nothing to wait for.
      const record = store.get(id);
      if (record?.outcome !== 'in_progress') return record;
      // While it streams, the stored event log (and a long answer) lags by up to
      // EVENTS_STORE_MS: the detail gets every event's time and name so far, and the
      // answer, from the live recording instead.
      const live = liveDetail(id);
      return live ? { ...record, ...live } : record;
    },
    'requests.attempts': async ({ id }) => {
      await store.written();
      return attemptsOf(store, id);
    },
    'requests.stats': async ({ filter }) => {
      await store.written();
      return store.summary(filter);
    },
    'requests.histogram': async ({ filter, buckets }) => {
      await store.written();
      return store.histogram(filter, buckets);
    },
    'requests.facets': async () => {
      await store.written();
      return {
        models: store.distinct('model'),
        clients: store.distinct('client'),
        upstreams: store.distinct('upstream'),
        sessions: store.distinct('session_id'),
      };
    },
    'sessions.list': async ({ filter, limit }) => {
      await store.written();
      return listSessions(store, filter, limit);
    },
    'sessions.get': async ({ id }, opts = {}) => {
      await store.written();
      return getSession(store, id, opts.estimate === false ? { estimate: false } : {});
    },
    export: (args) => exportStream(store, args),
  };
}

function exportStream(store: Store, { filter, format, includeEvents, exportedAt, onProgress }: ExportArgs): ExportStream {
  const stream = new PassThrough({ highWaterMark: FLUSH_CHARS });
  const count = (async () => {
    // The records recorded up to this call are in it (awaited, not waited for).
    await store.written();
    const { count: n } = await EXPORT_WRITERS[format](store.iterate(filter, 'asc'), stream, {
      filters: filter,
      ...(includeEvents !== undefined ? { includeEvents } : {}),
      ...(exportedAt ? { exportedAt } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    stream.end();
    return n;
  })();
  // A failed export breaks the stream, so no reader takes half a file for a whole one.
  count.catch((err: unknown) => stream.destroy(err instanceof Error ? err : new Error(String(err))));
  return {
    stream,
    count,
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
  };
}

export function createApiModel(core: CoreEngine, opts: ApiModelOptions): ApiModel {
  // Headless and Electron apply settings the same way (CoreEngine.applySettings).
  return {
    ...createReadApi({ store: core.store, seq: () => core.seq(), liveDetail: (id) => core.liveDetail(id) }),
    'status.get': () => buildAppStatus(core, opts.runtime),
    'recording.setPaused': ({ paused }) => {
      core.setPaused(paused);
      return buildAppStatus(core, opts.runtime);
    },
    'settings.get': () => currentSettings(core),
    'settings.set': async (input) => {
      const settings = validateSettings(input);
      const previous = readPrevious(opts.settingsFile);
      try {
        writeSettingsFile(opts.settingsFile, settings);
      } catch (err) {
        throw new ApiModelError('invalid_settings', `Could not save the settings: ${firstLine(err)}`);
      }
      try {
        await core.applySettings(settings);
      } catch (err) {
        // Keep the file and the running app in agreement: a port already in use must
        // not become the port the next start fails on.
        restorePrevious(opts.settingsFile, previous);
        throw new ApiModelError('invalid_settings', `Could not apply the settings (the previous ones are kept): ${firstLine(err)}`);
      }
      return settings;
    },
    'setup.info': async () => {
      await core.store.written();
      return setupInfo(core);
    },
  };
}

function validateSettings(input: unknown): Settings {
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'settings';
    throw new ApiModelError('invalid_settings', `${where}: ${issue?.message ?? 'invalid'}`);
  }
  try {
    // settings.ts adds what the schema cannot say: upstream names and URLs.
    parseSettings(parsed.data, 'settings');
  } catch (err) {
    throw new ApiModelError('invalid_settings', firstLine(err));
  }
  return parsed.data;
}

type Previous = { kind: 'none' } | { kind: 'file'; settings: ReturnType<typeof readSettingsFile> } | { kind: 'unreadable' };

function readPrevious(file: string): Previous {
  try {
    const settings = readSettingsFile(file);
    return Object.keys(settings).length === 0 ? { kind: 'none' } : { kind: 'file', settings };
  } catch {
    return { kind: 'unreadable' };
  }
}

function restorePrevious(file: string, previous: Previous): void {
  try {
    if (previous.kind === 'file') writeSettingsFile(file, previous.settings);
    else if (previous.kind === 'none') writeSettingsFile(file, {});
    // 'unreadable': the old file was already broken; the new (valid) one stays.
  } catch {
    // Restoring is best effort; the error reported is the one that matters.
  }
}


function setupInfo(core: CoreEngine): SetupInfo {
  const { store, config } = core;
  const baseUrl = core.status().url ?? `http://${config.host}:${config.port}`;
  // One entry per tool, whatever versions of it were seen.
  const byName = new Map<string, string[]>();
  for (const label of store.distinct('client')) {
    const name = clientName(label);
    const labels = byName.get(name);
    if (labels) labels.push(label);
    else byName.set(name, [label]);
  }
  const clientsSeen: SetupInfo['clientsSeen'] = [];
  for (const [client, labels] of byName) {
    const latest = store.list({ client: labels }, { limit: 1 })[0];
    if (latest) clientsSeen.push({ client, lastSeen: latest.startedAt });
  }
  clientsSeen.sort((a, b) => b.lastSeen - a.lastSeen);
  return { baseUrl, upstreams: { ...config.upstreams }, clientsSeen };
}


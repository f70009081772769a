// The API model: every channel of the contract (src-main/common/contract.ts) except
// `export.run`, implemented over the core with no transport in sight. The Electron IPC
// handlers and the headless HTTP API are thin adapters over this one object, so the
// desktop window and the browser dashboard see the same answers (HTTP Toolkit's
// "API model with thin REST and GraphQL adapters").
//
// `export.run` is left to the transports: in Electron it needs a save dialog, in the
// browser it is a download from the HTTP server.

import type { AppStatus, Handlers, HandlerErrorCode, SetupInfo } from '../common/contract.js';
import type { Core } from './create-core.js';
import { parseSettings, readSettingsFile, writeSettingsFile } from './settings.js';
import { attemptsOf, clientName, getSession, listSessions } from './sessions.js';
import { SettingsSchema, type Settings } from '../common/settings.js';

export type ApiModel = Omit<Handlers, 'export.run'>;

export interface ApiModelOptions {
  runtime: 'electron' | 'headless';
  /** the settings file `settings.set` writes (and restores when applying fails) */
  settingsFile: string;
  /** applies saved settings to the running app (the Electron shell restarts the proxy
   * on the new port). Records are never lost: the store stays open throughout. */
  applySettings?: (s: Settings) => Promise<void>;
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
export function buildAppStatus(core: Core, runtime: AppStatus['runtime'], now = Date.now()): AppStatus {
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
    problem,
    dbPath: core.config.dbPath,
    dbBytes: core.store.sizeOnDisk(),
    runtime,
  };
}

/** The configuration in effect, in the settings form. */
export function currentSettings(core: Core): Settings {
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

export function createApiModel(core: Core, opts: ApiModelOptions): ApiModel {
  const { store } = core;
  // Headless has no way to re-bind the port it is served on: saved settings apply at
  // the next start, and settings.get shows what was saved rather than the old values.
  let savedNotApplied: Settings | null = null;

  // Every read first awaits the writes queued before it (a request the dashboard was just
  // told about is in the list it asks for), without holding the event loop meanwhile.
  return {
    'requests.list': async ({ filter, limit, before }) => {
      await store.written();
      return store.list(filter, before ? { limit, before } : { limit });
    },
    'requests.get': ({ id }) => {
      // get() lays the queue over the database itself: nothing to wait for.
      const record = store.get(id);
      if (record?.outcome !== 'in_progress') return record;
      // Events are stored when a request settles: while it streams, the detail gets
      // their times and names from the live recording (the bodies come at the end).
      const events = core.liveEvents(id);
      return events ? { ...record, events } : record;
    },
    'requests.attempts': async ({ id }) => {
      await store.written();
      return attemptsOf(store, id);
    },
    'requests.summary': async ({ filter }) => {
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
    'sessions.get': async ({ id }) => {
      await store.written();
      return getSession(store, id);
    },
    'status.get': () => buildAppStatus(core, opts.runtime),
    'recording.setPaused': ({ paused }) => {
      core.setPaused(paused);
      return buildAppStatus(core, opts.runtime);
    },
    'settings.get': () => savedNotApplied ?? currentSettings(core),
    'settings.set': async (input) => {
      const settings = validateSettings(input);
      const previous = readPrevious(opts.settingsFile);
      try {
        writeSettingsFile(opts.settingsFile, settings);
      } catch (err) {
        throw new ApiModelError('invalid_settings', `Could not save the settings: ${oneLine(err)}`);
      }
      if (!opts.applySettings) {
        savedNotApplied = settings;
        return settings;
      }
      try {
        await opts.applySettings(settings);
      } catch (err) {
        // Keep the file and the running app in agreement: a port already in use must
        // not become the port the next start fails on.
        restorePrevious(opts.settingsFile, previous);
        throw new ApiModelError('invalid_settings', `Could not apply the settings (the previous ones are kept): ${oneLine(err)}`);
      }
      savedNotApplied = null;
      return settings;
    },
    'setup.info': async () => {
      await store.written();
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
    throw new ApiModelError('invalid_settings', oneLine(err));
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

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n', 1)[0]!;
}

function setupInfo(core: Core): SetupInfo {
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


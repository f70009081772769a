// The API model: every channel of the contract (src-main/common/contract.ts) except
// `export.run`, implemented over the core with no transport in sight. The Electron IPC
// handlers and the headless HTTP API are thin adapters over this one object, so the
// desktop window and the browser dashboard see the same answers (HTTP Toolkit's
// "API model with thin REST and GraphQL adapters").
//
// `export.run` is left to the transports: in Electron it needs a save dialog, in the
// browser it is a download from the HTTP server.

import type { AppStatus, Handlers, SettingsInput, SetupInfo } from '../common/contract.js';
import { SettingsInputSchema } from '../common/contract.js';
import type { Core } from './create-core.js';
import { parseSettings, readSettingsFile, writeSettingsFile } from './settings.js';
import { attemptsOf, clientName, getSession, listSessions } from './sessions.js';

export type ApiModel = Omit<Handlers, 'export.run'>;

export interface ApiModelOptions {
  runtime: 'electron' | 'headless';
  /** the settings file `settings.set` writes (and restores when applying fails) */
  settingsFile: string;
  /** applies saved settings to the running app (the Electron shell restarts the proxy
   * on the new port). Records are never lost: the store stays open throughout. */
  applySettings?: (s: SettingsInput) => Promise<void>;
}

/** An error the contract's dispatch() passes through with its code (never a stack). */
export class ApiModelError extends Error {
  override name = 'ApiModelError';
  constructor(
    readonly code: 'invalid_settings' | 'not_found' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}



export function localMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The status the tray and the window show, built from the core and the store. */
export function buildAppStatus(core: Core, runtime: AppStatus['runtime'], now = Date.now()): AppStatus {
  const s = core.status();
  const store = s.store;
  let requestsToday = 0;
  try {
    requestsToday = core.store.count({ since: localMidnight(now) });
  } catch {
    // The store is closed (shutting down) or unreadable: the status must still answer.
  }
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
export function currentSettings(core: Core): SettingsInput {
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
  let savedNotApplied: SettingsInput | null = null;

  return {
    'requests.list': ({ filter, limit, before }) => store.list(filter, before ? { limit, before } : { limit }),
    'requests.get': ({ id }) => {
      const record = store.get(id);
      if (record?.outcome !== 'in_progress') return record;
      // Events are stored when a request settles: while it streams, the detail gets
      // their times and names from the live recording (the bodies come at the end).
      const events = core.liveEvents(id);
      return events ? { ...record, events } : record;
    },
    'requests.attempts': ({ id }) => attemptsOf(store, id),
    'requests.summary': ({ filter }) => store.summary(filter),
    'requests.histogram': ({ filter, buckets }) => store.histogram(filter, buckets),
    'requests.facets': () => ({
      models: store.distinct('model'),
      clients: store.distinct('client'),
      upstreams: store.distinct('upstream'),
      sessions: store.distinct('session_id'),
    }),
    'sessions.list': ({ filter, limit }) => listSessions(store, filter, limit),
    'sessions.get': ({ id }) => getSession(store, id),
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
    'setup.info': () => setupInfo(core),
  };
}

function validateSettings(input: unknown): SettingsInput {
  const parsed = SettingsInputSchema.safeParse(input);
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


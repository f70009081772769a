// The API model: every channel of the contract (src-main/common/contract.ts) except
// `export.run`, implemented over the core with no transport in sight. The Electron IPC
// handlers and the headless HTTP API are thin adapters over this one object, so the
// desktop window and the browser dashboard see the same answers (HTTP Toolkit's
// "API model with thin REST and GraphQL adapters").
//
// `export.run` is left to the transports: in Electron it needs a save dialog, in the
// browser it is a download from the HTTP server.

import type { AppStatus, Handlers, SessionSummary, SettingsInput, SetupInfo } from '../common/contract.js';
import { SettingsInputSchema } from '../common/contract.js';
import type { RecordFilter, RequestSummary } from '../common/record.js';
import type { Core } from './create-core.js';
import { parseSettings, readSettingsFile, writeSettingsFile } from './settings.js';

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

/** Requests without a session header more than this far apart start a new session (DESIGN.md). */
export const SESSION_GAP_MS = 30 * 60_000;
/** Session inference reads at most this far back… */
export const INFERENCE_WINDOW_MS = 7 * 86_400_000;
/** …and at most this many requests, so the sessions view stays fast on a large database. */
export const INFERENCE_MAX_ROWS = 20_000;
const INFERENCE_PAGE = 1_000;

/** "Claude Code 2.0.14" → "Claude Code", "OpenAI/JS 6.3.0" → "OpenAI/JS"; the stored
 * client is a display label with the version appended (see proxy/client-info.ts). */
export function clientName(label: string): string {
  return label.replace(/\s+v?\d[\w.+-]*$/, '') || label;
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
  };
}

export function createApiModel(core: Core, opts: ApiModelOptions): ApiModel {
  const { store } = core;
  // Headless has no way to re-bind the port it is served on: saved settings apply at
  // the next start, and settings.get shows what was saved rather than the old values.
  let savedNotApplied: SettingsInput | null = null;

  return {
    'requests.list': ({ filter, limit, before }) => store.list(filter, before ? { limit, before } : { limit }),
    'requests.get': ({ id }) => store.get(id),
    'requests.summary': ({ filter }) => store.summary(filter),
    'requests.facets': () => ({
      models: store.distinct('model'),
      clients: store.distinct('client'),
      upstreams: store.distinct('upstream'),
      sessions: store.distinct('session_id'),
    }),
    'sessions.list': ({ filter, limit }) => listSessions(core, filter, limit),
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

// ---- sessions -------------------------------------------------------------------------

function listSessions(core: Core, filter: RecordFilter, limit: number, now = Date.now()): SessionSummary[] {
  const { store } = core;
  const explicit: SessionSummary[] = store.sessions(filter, limit).map((s) => ({
    sessionId: s.sessionId,
    inferred: false,
    client: s.client,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    requests: s.requests,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    lastOutcome: s.lastOutcome,
    lastTruncated: false, // filled in below for the sessions that are kept
    lastDiagnosis: s.lastDiagnosis,
    lastRequestId: s.lastRequestId,
  }));
  // A session filter names explicit session ids: inferred sessions cannot match it.
  const inferred = filter.session?.length ? [] : inferSessions(core, filter, now);
  const kept = [...explicit, ...inferred].sort((a, b) => (b.endedAt ?? b.startedAt) - (a.endedAt ?? a.startedAt)).slice(0, limit);
  for (const s of kept) {
    // The store's summary has no truncated flag; only a completed request can be truncated.
    if (s.inferred || s.lastOutcome !== 'completed') continue;
    s.lastTruncated = store.list({ ...filter, session: [s.sessionId] }, { limit: 1 })[0]?.truncated ?? false;
  }
  return kept;
}

interface OpenGroup {
  key: string;
  /** oldest request seen so far (requests are read newest first) */
  first: RequestSummary;
  latest: RequestSummary;
  endedAt: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Requests without a session header, grouped per DESIGN.md: same client (any version)
 * and same credential fingerprint, split where two requests are more than
 * SESSION_GAP_MS apart. Reads summaries (never bodies) newest first, bounded by
 * INFERENCE_WINDOW_MS and INFERENCE_MAX_ROWS.
 */
export function inferSessions(core: Core, filter: RecordFilter, now = Date.now()): SessionSummary[] {
  const windowStart = now - INFERENCE_WINDOW_MS;
  const f: RecordFilter = { ...filter, since: Math.max(filter.since ?? windowStart, windowStart) };
  const open = new Map<string, OpenGroup>();
  const done: OpenGroup[] = [];
  let read = 0;
  let before: { startedAt: number; id: string } | undefined;
  while (read < INFERENCE_MAX_ROWS) {
    const limit = Math.min(INFERENCE_PAGE, INFERENCE_MAX_ROWS - read);
    const page = core.store.list(f, before ? { limit, before } : { limit });
    for (const r of page) {
      if (r.sessionId !== null) continue;
      const key = `${r.client === null ? '' : clientName(r.client)}\u0000${r.credentialFingerprint ?? ''}`;
      const g = open.get(key);
      // Newest first: the gap is from this (older) request's end to the group's oldest start.
      if (g && g.first.startedAt - (r.endedAt ?? r.startedAt) <= SESSION_GAP_MS) {
        g.first = r;
        g.requests++;
        g.inputTokens += r.usage.inputTokens ?? 0;
        g.outputTokens += r.usage.outputTokens ?? 0;
        g.endedAt = Math.max(g.endedAt, r.endedAt ?? r.startedAt);
        continue;
      }
      if (g) done.push(g);
      open.set(key, {
        key,
        first: r,
        latest: r,
        endedAt: r.endedAt ?? r.startedAt,
        requests: 1,
        inputTokens: r.usage.inputTokens ?? 0,
        outputTokens: r.usage.outputTokens ?? 0,
      });
    }
    read += page.length;
    if (page.length < limit) break;
    const last = page[page.length - 1]!;
    before = { startedAt: last.startedAt, id: last.id };
  }
  done.push(...open.values());
  return done.map((g) => ({
    // The first request's id is unique and stable while the session grows.
    sessionId: `inferred:${g.first.id}`,
    inferred: true,
    client: g.latest.client,
    startedAt: g.first.startedAt,
    endedAt: g.endedAt,
    requests: g.requests,
    inputTokens: g.inputTokens,
    outputTokens: g.outputTokens,
    lastOutcome: g.latest.outcome,
    lastTruncated: g.latest.truncated,
    lastDiagnosis: g.latest.diagnosis,
    lastRequestId: g.latest.id,
  }));
}

#!/usr/bin/env -S node --max-semi-space-size=4
// The headless CLI: `serve` runs the proxy + recorder in plain Node; `export`,
// `sessions` and `tail` read the same database. Errors are one line on stderr and a
// non-zero exit, never a stack trace: 2 for bad usage, 1 for everything else.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { firstLine } from '../common/errors.js';
import { formatBytes } from '../common/bytes.js';
import { ConfigError, DEFAULT_DRAIN_MS, parseUpstreamSpec, resolveConfig, upstreamsFromEnv, type ConfigInput } from '../core/config.js';
import { createCore, openReadOnlyCore, StoreOpenError } from '../core/create-core.js';
import { DB_FILE, SETTINGS_FILE, defaultDataDir, readSettingsFile, settingsToConfig } from '../core/settings.js';
import { EXPORT_FORMAT_NAMES, EXPORT_FORMATS, ExportFormatSchema, SESSION_ENDINGS, type SessionEndingKind, type SessionFilter } from '../common/contract.js';
import { OUTCOMES, type Outcome, type RecordFilter, type RequestSummary } from '../common/record.js';
import { createDashboardHandler, type DashboardHandler } from './dashboard/index.js';
import { TOKEN_FILE } from './dashboard/guard.js';
import { SESSIONS_FORMAT_VERSION, sessionJson, sessionStory, sessionTableEntry, type SessionsJson } from './sessions-output.js';

class UsageError extends Error {}

/** A ConfigError from checking a flag's value is a usage error (exit 2). */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function parsePort(text: string, source: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${source} expects a port number from 0 to 65535 (0 = any free port), got "${text}"`);
  return port;
}

/** `--port -1`: parseArgs takes "-1" for an option and calls the value ambiguous. A
 * negative number after a flag is that flag's value, so the flag's own check can say
 * what is wrong with it. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

const USAGE = `usage: streamtap <command> [options]

commands:
  serve     run the recording proxy (and the dashboard) on 127.0.0.1
            --port N              listen port (default 7788; 0 = any free port)
            --db FILE             database file (default: the user's data folder)
            --upstream name=URL   add or override an upstream (repeatable)
            --settings FILE       settings file (default: settings.json in the data folder)
            --header-timeout S    seconds to wait for response headers (default 600)
            --idle-timeout S      seconds of silence (mid-stream, or in a request body) before giving up (default 300)
            --max-request-size MiB  the largest request body forwarded; larger ones get 413 (default 100)
            --drain-timeout S     on SIGTERM/SIGINT, how long requests in flight may finish (default 5)
            --retention-days N    delete records older than N days (default 0: keep them)
            --retention-max-mib N  keep the database under N MiB, deleting the oldest records first (default 0: no limit)
            --no-dashboard        do not serve the dashboard
            --rotate-token        give the dashboard a new token (open tabs are refused)
  export    write recorded requests as JSON, JSON Lines or HAR
            --db FILE  --format json|jsonl|har  --out FILE (default: stdout)  --events
            filters: --since T --until T (ISO date or 30m, 2h, 7d ago) --outcome LIST
                     --truncated --model LIST --client LIST --upstream LIST --session LIST --text S
  sessions  agent sessions, newest first, and how each one ended
            --db FILE  --limit N (default 50)  filters, and --ending LIST
            --format table|json   json: schema/sessions.schema.json
            --show ID             one session's story: its ending, turns and attempts
  tail      the latest requests, one line each            (--db FILE --limit N, filters)
            --follow, -f          then print each request as it settles, until Ctrl-C
`;

function fail(message: string, code: number): never {
  process.stderr.write(`streamtap: ${message}\n`);
  process.exit(code);
}

function parseTime(value: string, flag: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const mult = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * mult;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${flag} expects an ISO date or a duration like 30m, 2h, 7d; got "${value}"`);
  return t;
}

function list(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

const FILTER_OPTIONS = {
  db: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  outcome: { type: 'string', multiple: true },
  truncated: { type: 'boolean' },
  model: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  upstream: { type: 'string', multiple: true },
  session: { type: 'string', multiple: true },
  text: { type: 'string' },
} as const;

type FilterValues = {
  since?: string;
  until?: string;
  outcome?: string[];
  truncated?: boolean;
  model?: string[];
  client?: string[];
  upstream?: string[];
  session?: string[];
  text?: string;
};

function filterFromFlags(v: FilterValues): RecordFilter {
  const f: RecordFilter = {};
  if (v.since) f.since = parseTime(v.since, '--since');
  if (v.until) f.until = parseTime(v.until, '--until');
  const outcomes = list(v.outcome);
  if (outcomes) {
    for (const o of outcomes) {
      if (o !== 'truncated' && !(OUTCOMES as readonly string[]).includes(o)) {
        throw new UsageError(`--outcome: unknown outcome "${o}" (one of ${OUTCOMES.join(', ')}, truncated)`);
      }
    }
    if (outcomes.includes('truncated')) f.truncated = true;
    const real = outcomes.filter((o) => o !== 'truncated') as Outcome[];
    if (real.length) f.outcome = real;
  }
  if (v.truncated) f.truncated = true;
  const model = list(v.model);
  if (model) f.model = model;
  const client = list(v.client);
  if (client) f.client = client;
  const upstream = list(v.upstream);
  if (upstream) f.upstream = upstream;
  const session = list(v.session);
  if (session) f.session = session;
  if (v.text) f.text = v.text;
  return f;
}

/** The folder the user ran the command in. `npm run streamtap` runs this file in the
 * package folder and passes the user's own working directory in INIT_CWD; only then
 * is INIT_CWD trusted (another npm script's INIT_CWD says nothing about this command). */
export function userCwd(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const init = env['INIT_CWD'];
  return env['npm_lifecycle_event'] === 'streamtap' && init ? init : cwd;
}

/** A path the user typed (--db, --out, --settings, STREAMTAP_DB), made absolute. */
function userPath(p: string): string {
  return path.resolve(userCwd(), p);
}

function dbPathFor(flag: string | undefined): string {
  return userPath(flag ?? process.env['STREAMTAP_DB'] ?? path.join(defaultDataDir(), DB_FILE));
}

/** The core's api over an existing database for the reading commands: read-only, so it
 * never creates, migrates or writes a file, and works beside the recorder that is
 * writing to it. */
function openExisting(flag: string | undefined) {
  const file = dbPathFor(flag);
  if (!fs.existsSync(file)) throw new UsageError(`no database at ${file} (pass --db FILE, or run "serve" first)`);
  return openReadOnlyCore(file);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      db: { type: 'string' },
      upstream: { type: 'string', multiple: true },
      settings: { type: 'string' },
      'header-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'max-request-size': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'retention-days': { type: 'string' },
      'retention-max-mib': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      'rotate-token': { type: 'boolean' },
      host: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  // The default settings file may not exist yet (a first run); one named on the
  // command line must, or a typo would silently run on defaults.
  const settingsFile = values.settings !== undefined ? userPath(values.settings) : path.join(defaultDataDir(), SETTINGS_FILE);
  if (values.settings !== undefined && !fs.existsSync(settingsFile)) {
    throw new UsageError(`--settings: there is no file ${settingsFile} (create it, e.g. containing {}, or leave out --settings)`);
  }
  const fromFile = settingsToConfig(readSettingsFile(settingsFile));
  const upstreams: Record<string, string> = { ...fromFile.upstreams, ...upstreamsFromEnv(process.env) };
  for (const spec of values.upstream ?? []) {
    const [name, url] = usage(() => parseUpstreamSpec(spec));
    upstreams[name] = url;
  }
  const partial: ConfigInput = { ...fromFile, upstreams, dbPath: dbPathFor(values.db) };
  if (values.port !== undefined) partial.port = parsePort(values.port, '--port');
  else if (process.env['STREAMTAP_PORT'] !== undefined) partial.port = parsePort(process.env['STREAMTAP_PORT'], 'STREAMTAP_PORT');
  if (values.host !== undefined) {
    // Loopback only: the proxy forwards the user's credentials and has no auth of its own.
    if (!['127.0.0.1', 'localhost', '::1'].includes(values.host)) throw new UsageError('--host must be a loopback address (127.0.0.1, ::1, localhost)');
    partial.host = values.host === 'localhost' ? '127.0.0.1' : values.host;
  }
  const seconds = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} expects a positive number of seconds, got "${v}"`);
    return Math.round(n * 1000);
  };
  const headersMs = seconds(values['header-timeout'], '--header-timeout');
  const idleMs = seconds(values['idle-timeout'], '--idle-timeout');
  partial.timeouts = { ...fromFile.timeouts };
  if (headersMs) partial.timeouts.headersMs = headersMs;
  if (idleMs) partial.timeouts.idleMs = idleMs;
  const maxMb = values['max-request-size'];
  if (maxMb !== undefined) {
    const mb = Number(maxMb);
    if (!Number.isFinite(mb) || mb < 0.001) throw new UsageError(`--max-request-size expects a size in MiB (at least 0.001), got "${maxMb}"`);
    partial.maxRequestBytes = Math.round(mb * 1024 * 1024);
  }
  const wholeNumber = (v: string | undefined, flag: string, what: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number of ${what} (0 or more), got "${v}"`);
    return n;
  };
  const retentionDays = wholeNumber(values['retention-days'], '--retention-days', 'days');
  if (retentionDays !== undefined) partial.retentionDays = retentionDays;
  const retentionMaxMiB = wholeNumber(values['retention-max-mib'], '--retention-max-mib', 'MiB');
  if (retentionMaxMiB !== undefined) partial.retentionMaxMiB = retentionMaxMiB;
  let drainMs = DEFAULT_DRAIN_MS;
  const drainText = values['drain-timeout'];
  if (drainText !== undefined) {
    const n = Number(drainText);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--drain-timeout expects a number of seconds (0 or more), got "${drainText}"`);
    drainMs = Math.round(n * 1000);
  }
  const config = resolveConfig(partial);

  let dashboard: DashboardHandler | null = null;
  // Saved settings (settings.set) go to this file and apply to the running server at
  // once; a new port rebinds, and requests in flight on the old one finish there.
  const core = createCore(config, {
    runtime: 'headless',
    settingsFile,
    dashboard: (req, res) => {
      if (dashboard) dashboard.handle(req, res);
      else res.writeHead(404).end();
    },
  });
  if (!values['no-dashboard']) {
    dashboard = createDashboardHandler(core, {
      // Kept in the data folder so a tab left open survives a restart.
      tokenFile: path.join(defaultDataDir(), TOKEN_FILE),
      rotateToken: values['rotate-token'] === true,
    });
  }
  const { url } = await core.start();
  const upstreamList = Object.entries(config.upstreams).map(([n, u]) => `${n}=${u}`).join(' ');
  process.stdout.write(`listening ${url}\n`);
  process.stdout.write(`database ${config.dbPath} (${formatBytes(core.api['status.get']({}).dbBytes)} on disk)\n`);
  process.stdout.write(`upstreams ${upstreamList}\n`);
  if (dashboard) process.stdout.write(`dashboard ${dashboard.urlFor(url)}\n`);
  // One line when recording becomes degraded, one when it recovers (not one per status).
  let degraded = false;
  core.live.subscribe(
    (ev) => {
      if (ev.type !== 'status') return;
      const s = ev.status;
      if (s.storeDegraded === degraded) return;
      degraded = s.storeDegraded;
      if (degraded) process.stderr.write(`streamtap: recording degraded: ${s.storeError ?? 'store writes failing'} (${s.queuedWrites} writes queued)\n`);
      else process.stderr.write(`streamtap: recording recovered: the queued writes are in the database${s.droppedWrites > 0 ? ` (${s.droppedWrites} lost while degraded)` : ''}\n`);
    },
    // Only the store's state matters here: no record change is summarized for it.
    { statusOnly: true },
  );

  // First signal: stop accepting, let requests in flight finish for up to the drain
  // timeout, record the rest `interrupted`, flush, exit 0. A second one stops at once.
  let stopping: AbortController | null = null;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Ctrl-C under `npm run` arrives twice within milliseconds (the terminal sends it
      // to the whole process group, and npm forwards its own copy): that is one press.
      if (performance.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
      process.stderr.write(`streamtap: ${signal} again, stopping now\n`);
      stopping.abort();
      return;
    }
    stopping = new AbortController();
    firstSignalAt = performance.now();
    const { live } = core.api['status.get']({});
    process.stderr.write(
      `streamtap: ${signal}, stopping${live > 0 && drainMs > 0 ? `: waiting up to ${drainMs / 1000} s for ${live} request${live === 1 ? '' : 's'} in flight (${signal} again to stop at once)` : ''}\n`,
    );
    dashboard?.close();
    core.stop({ drainMs, signal: stopping.signal }).then(
      () => process.exit(0),
      (err: unknown) => fail(`stopping failed: ${(err as Error).message}`, 1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** A repeat of a signal within this window is the same signal delivered twice. */
const REPEATED_SIGNAL_MS = 300;

async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...FILTER_OPTIONS, format: { type: 'string' }, out: { type: 'string' }, events: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  // Without --format, the file's extension picks it (JSON when none matches).
  const byExtension = EXPORT_FORMAT_NAMES.find((f) => values.out?.endsWith(`.${EXPORT_FORMATS[f].ext}`));
  const parsedFormat = ExportFormatSchema.safeParse(values.format ?? byExtension ?? 'json');
  if (!parsedFormat.success) throw new UsageError(`--format must be ${EXPORT_FORMAT_NAMES.join(', ')}, got "${values.format}"`);
  const format = parsedFormat.data;
  const filters = filterFromFlags(values);
  const db = openExisting(values.db);
  try {
    const outFile = values.out !== undefined ? userPath(values.out) : null;
    const out = outFile ? fs.createWriteStream(outFile) : process.stdout;
    if (outFile) {
      await new Promise<void>((resolve, reject) => {
        (out as fs.WriteStream).once('open', () => resolve());
        (out as fs.WriteStream).once('error', (e) => reject(new Error(`cannot write ${outFile}: ${e.message}`)));
      });
    }
    const run = db.api.export({ filter: filters, format, includeEvents: values.events === true });
    // stdout stays open (the writers never end their output); a file is ended here.
    await pipeline(run.stream, out, { end: false });
    const count = await run.count;
    if (outFile) {
      await new Promise<void>((resolve, reject) => (out as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
      process.stderr.write(`exported ${count} record${count === 1 ? '' : 's'} to ${outFile}\n`);
    }
  } finally {
    db.close();
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive whole number, got "${value}"`);
  return n;
}

async function sessionsCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...FILTER_OPTIONS, limit: { type: 'string' }, ending: { type: 'string', multiple: true }, format: { type: 'string' }, show: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got "${format}"`);
  const limit = positiveInt(values.limit, '--limit', 50);
  const filter: SessionFilter = filterFromFlags(values);
  const endings = list(values.ending);
  if (endings) {
    for (const e of endings) {
      if (!(SESSION_ENDINGS as readonly string[]).includes(e)) throw new UsageError(`--ending: unknown ending "${e}" (one of ${SESSION_ENDINGS.join(', ')})`);
    }
    filter.ending = endings as SessionEndingKind[];
  }
  const db = openExisting(values.db);
  try {
    if (values.show !== undefined) {
      const session = await db.api['sessions.get']({ id: values.show });
      if (!session) throw new Error(`no session "${values.show}" in ${db.dbPath} (see "streamtap sessions" for the ids)`);
      const doc: SessionsJson = { formatVersion: SESSIONS_FORMAT_VERSION, sessions: [sessionJson(session)] };
      process.stdout.write(format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : sessionStory(session));
      return;
    }
    const rows = await db.api['sessions.list']({ filter, limit });
    if (format === 'json') {
      const doc: SessionsJson = { formatVersion: SESSIONS_FORMAT_VERSION, sessions: [] };
      // The JSON carries every turn and attempt; the input estimate (tokenizer) is not part of it.
      for (const s of rows) {
        const detail = await db.api['sessions.get']({ id: s.sessionId }, { estimate: false });
        if (detail) doc.sessions.push(sessionJson(detail));
      }
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      process.stdout.write('no sessions\n');
      return;
    }
    for (const s of rows) process.stdout.write(sessionTableEntry(s));
  } finally {
    db.close();
  }
}

function tailLine(r: RequestSummary): string {
  const when = new Date(r.startedAt).toISOString().slice(11, 19);
  const outcome = r.truncated ? 'truncated' : r.outcome;
  const tok = `${r.usage.inputTokens ?? '-'}/${r.usage.estimated ? '~' : ''}${r.usage.outputTokens ?? '-'}`;
  const ttft = r.timings.ttftMs !== null ? `${Math.round(r.timings.ttftMs)}ms` : '-';
  return `${when} ${pad(outcome, 22)} ${pad(String(r.httpStatus ?? '-'), 4)} ${pad(r.model ?? '-', 24)} ${pad(tok, 14)} ${pad(ttft, 8)} ${pad(r.client ?? '-', 18)} ${r.diagnosis}\n`;
}

const FOLLOW_POLL_MS = 1_000;
const FOLLOW_WINDOW = 500;

async function tailCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...FILTER_OPTIONS, limit: { type: 'string' }, follow: { type: 'boolean', short: 'f' } }, strict: true });
  const filter = filterFromFlags(values);
  const limit = positiveInt(values.limit, '--limit', 20);
  const db = openExisting(values.db);
  try {
    // Without --follow: the latest requests, settled or not. With it: then every
    // request as it settles (another process records them), until Ctrl-C.
    const printed = new Set<string>();
    for (const r of (await db.api['requests.list']({ filter, limit })).records.reverse()) {
      process.stdout.write(tailLine(r));
      if (r.outcome !== 'in_progress') printed.add(r.id);
    }
    if (!values.follow) return;
    let stop = false;
    process.once('SIGINT', () => (stop = true));
    process.once('SIGTERM', () => (stop = true));
    while (!stop) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      const recent = (await db.api['requests.list']({ filter, limit: FOLLOW_WINDOW })).records.reverse();
      for (const r of recent) {
        if (r.outcome === 'in_progress' || printed.has(r.id)) continue;
        printed.add(r.id);
        process.stdout.write(tailLine(r));
      }
      // Only ids that can still show up in the window need remembering.
      if (printed.size > FOLLOW_WINDOW * 4) {
        const keep = new Set(recent.map((r) => r.id));
        for (const id of printed) if (!keep.has(id)) printed.delete(id);
      }
    }
  } finally {
    db.close();
  }
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = joinNegativeValues(argv);
  try {
    switch (command) {
      case 'serve':
        await serve(rest);
        return;
      case 'export':
        await exportCommand(rest);
        return;
      case 'sessions':
        await sessionsCommand(rest);
        return;
      case 'tail':
        await tailCommand(rest);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        throw new UsageError(`unknown command "${command}" (serve, export, sessions, tail, help)`);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) fail(`${firstLine(e.message, 1000)} (see "streamtap help")`, 2);
    if (err instanceof ConfigError || err instanceof StoreOpenError) fail(e.message, 1);
    fail(e.message ? firstLine(e.message, 1000) : String(err), 1);
  }
}

// Run only as a program (the tests import userCwd): from the source (tsx), or built
// (out/cli/streamtap.js), also through the `streamtap` link npm puts on the PATH.
const invoked = process.argv[1] ? realPath(path.resolve(process.argv[1])) : '';
if (invoked.endsWith(`${path.sep}cli.ts`) || invoked.endsWith(`${path.sep}cli.js`) || invoked.endsWith(`${path.sep}streamtap.js`)) {
  void main(process.argv.slice(2));
}

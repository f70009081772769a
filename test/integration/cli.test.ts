// The headless CLI as a user runs it: `serve` prints where it listens; `export` writes
// JSON / JSON Lines that validate against the documented schema; bad flags, an
// unreadable database and a port in use give one clear line and a non-zero exit.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startFakeUpstream, scenarioHeader, type FakeUpstream } from '../fixtures/fake-upstream.js';
import Database from 'better-sqlite3';
import { Agent, fetch as undiciFetch } from 'undici';
import { openStore } from '../../src-main/core/db/store.js';
import { userCwd } from '../../src-main/headless/cli.js';
import { waitUntil } from '../fixtures/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', 'src-main/headless/cli.ts'];

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STREAMTAP_DATA_DIR: path.join(dir, 'data'), ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneCleanLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^streamtap: /);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

let dir = '';
/** what `serve` printed before it took traffic */
let serveBanner = '';
let fake: FakeUpstream;
let server: ChildProcess | null = null;
let serverUrl = '';
let db = '';
let token = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-cli-'));
  db = path.join(dir, 'cli.db');
  fake = await startFakeUpstream();
  server = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--db', db, '--upstream', `openai=${fake.url}`, '--upstream', `anthropic=${fake.url}`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STREAMTAP_DATA_DIR: path.join(dir, 'data') },
  });
  serverUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    server!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      const t = /dashboard http:\/\/127\.0\.0\.1:\d+\/__streamtap\/\?token=([0-9a-f]{64})/.exec(out);
      if (m && t) {
        serveBanner = out;
        token = t[1]!;
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const send = (p: string, body: object, headers: Record<string, string> = {}) =>
    fetch(serverUrl + p, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-cli-SECRET-0123456789abcdef', ...headers }, body: JSON.stringify(body) }).then((r) => r.text());
  await send('/v1/chat/completions', { model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'one' }] }, { 'x-claude-code-session-id': 'sess-1' });
  await send('/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'two' }] }, scenarioHeader({ status: 429, retryAfter: 7 }));
  await send('/v1/responses', { model: 'gpt-5', stream: true, input: 'three' }, scenarioHeader({ finishByLength: true }));
  // The server writes on its own thread: wait until all three are settled in the file.
  await waitUntil('the three requests to be written', () => {
    const store = openStore({ path: db, readOnly: true, lock: false });
    try {
      return store.list({}, { limit: 10 }).filter((r) => r.outcome !== 'in_progress').length === 3;
    } finally {
      store.close();
    }
  });
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/export-record.schema.json'), 'utf8')));
  return {
    file: ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/export.schema.json'), 'utf8'))),
    record: ajv.getSchema('urn:streamtap:schema:export-record:1')!,
  };
}

describe('streamtap serve', () => {
  it('names the database and its size on disk when it starts', () => {
    const line = /^database (.+) \((\d+\.\d) KiB on disk\)$/m.exec(serveBanner);
    expect(line, serveBanner).not.toBeNull();
    expect(line![1]).toBe(db);
  });
});

describe('streamtap export', () => {
  it('writes JSON that validates against the schema, with every record and no credential', () => {
    const out = path.join(dir, 'all.json');
    const r = cli(['export', '--db', db, '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('exported 3 records');
    const text = fs.readFileSync(out, 'utf8');
    const json = JSON.parse(text) as { formatVersion: number; records: { outcome: string; truncated: boolean; sessionId: string | null }[] };
    const v = validator();
    expect(v.file(json), JSON.stringify(v.file.errors)).toBe(true);
    expect(json.formatVersion).toBe(1);
    expect(json.records.map((x) => x.outcome)).toEqual(['completed', 'upstream_error', 'completed']);
    expect(json.records[0]!.sessionId).toBe('sess-1');
    expect(json.records[2]!.truncated).toBe(true);
    expect(text).not.toContain('SECRET-0123456789');
  });

  it('picks the format from the --out extension, and refuses an unknown --format in one line', () => {
    const out = path.join(dir, 'picked.har');
    expect(cli(['export', '--db', db, '--out', out]).code).toBe(0);
    expect((JSON.parse(fs.readFileSync(out, 'utf8')) as { log?: { version?: string } }).log?.version).toBe('1.2');
    const bad = cli(['export', '--db', db, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expectOneCleanLine(bad.stderr);
    expect(bad.stderr).toContain('--format must be json, jsonl, har, got "xml"');
  }, 60_000);

  it('writes JSON Lines, one valid record per line, filtered', () => {
    const r = cli(['export', '--db', db, '--format', 'jsonl', '--outcome', 'upstream_error,truncated']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const v = validator();
    for (const line of lines) expect(v.record(JSON.parse(line)), JSON.stringify(v.record.errors)).toBe(true);
    const sessions = cli(['sessions', '--db', db]);
    expect(sessions.code).toBe(0);
    expect(sessions.stdout).toContain('sess-1');
    const tail = cli(['tail', '--db', db]);
    expect(tail.stdout).toMatch(/upstream_error\s+429/);
    expect(tail.stdout).toMatch(/truncated/);
  }, 90_000);
});

describe('streamtap sessions', () => {
  function sessionsValidator() {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    return ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/sessions.schema.json'), 'utf8')));
  }
  type SessionsDoc = { formatVersion: number; sessions: { id: string; title: string | null; turns: { id: string; attempts: { recordId: string; outcome: string }[] }[]; ending: { kind: string; diagnosis: string; recordId: string } }[] };

  it('--format json prints every session, newest first, in the documented shape', () => {
    const r = cli(['sessions', '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as SessionsDoc;
    const validate = sessionsValidator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.formatVersion).toBe(1);
    const byTitle = Object.fromEntries(doc.sessions.map((s) => [s.title, s]));
    expect(byTitle['one']).toMatchObject({ id: 'sess-1', ending: { kind: 'completed' } });
    expect(byTitle['two']!.ending).toMatchObject({ kind: 'rate_limited', diagnosis: 'The provider rate-limited the last request of turn 1 (429, retry after 7 s); node stopped.' });
    expect(byTitle['three']!.ending.kind).toBe('truncated');
    // newest first: the order the requests were sent, reversed
    const order = doc.sessions.map((s) => s.title).filter((t) => t === 'one' || t === 'two' || t === 'three');
    expect(order).toEqual(['three', 'two', 'one']);
    for (const s of doc.sessions) expect(s.ending.recordId).toBe(s.turns[s.turns.length - 1]!.attempts.at(-1)!.recordId);
    // the ids are those of the export's records
    const exported = JSON.parse(cli(['export', '--db', db, '--session', byTitle['two']!.id]).stdout) as { records: { id: string; sessionId: string; sessionInferred: boolean; turnId: string; attempt: number }[] };
    expect(exported.records).toEqual([expect.objectContaining({ id: byTitle['two']!.turns[0]!.attempts[0]!.recordId, sessionInferred: true, turnId: byTitle['two']!.turns[0]!.id, attempt: 1 })]);
  });

  it('filters by ending, and the table shows each ending with its diagnosis', () => {
    const only = JSON.parse(cli(['sessions', '--db', db, '--format', 'json', '--ending', 'rate_limited,truncated']).stdout) as SessionsDoc;
    expect(only.sessions.map((s) => s.ending.kind).sort()).toEqual(['rate_limited', 'truncated']);
    const table = cli(['sessions', '--db', db, '--limit', '10']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/rate_limited\s+\(inferred\) inferred:/);
    expect(table.stdout).toContain('    "two"\n    The provider rate-limited the last request of turn 1 (429, retry after 7 s); node stopped.\n');
    expect(table.stdout).toMatch(/completed\s+sess-1\n/);
  });

  it("--show ID prints one session's story", () => {
    const r = cli(['sessions', '--db', db, '--show', 'sess-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Session sess-1\n/);
    expect(r.stdout).toContain('"one"');
    expect(r.stdout).toMatch(/\nEnded: completed \(request [0-9a-f-]+\)\n {2}Completed: one turn, answered normally/);
    expect(r.stdout).toMatch(/\nTurn 1 .* gpt-5 {2}context ~\d+ of 400,000 \(0 %\) {2}\$0\.\d{4}\n {2}"one"\n {2}#1 completed\s+stream\s+200 /);
    const json = JSON.parse(cli(['sessions', '--db', db, '--show', 'sess-1', '--format', 'json']).stdout) as SessionsDoc;
    expect(sessionsValidator()(json)).toBe(true);
    expect(json.sessions.map((s) => s.id)).toEqual(['sess-1']);
  });

  it('a bad --ending or --limit is a usage error; an unknown session is one clear line', () => {
    const bad = cli(['sessions', '--db', db, '--ending', 'exploded']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown ending "exploded"');
    expectOneCleanLine(bad.stderr);
    expect(cli(['sessions', '--db', db, '--limit', '0']).code).toBe(2);
    const missing = cli(['sessions', '--db', db, '--show', 'nope']);
    expect(missing.code).toBe(1);
    expectOneCleanLine(missing.stderr);
    expect(missing.stderr).toContain('no session "nope"');
  });
});

describe('streamtap tail --follow', () => {
  it('prints each request as it settles, recorded by the running server, until Ctrl-C', async () => {
    const tail = spawn(process.execPath, [...CLI, 'tail', '--db', db, '--follow', '--limit', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tail.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const waitFor = (re: RegExp) => waitUntil(`tail to print ${re}`, () => re.test(out), { detail: () => `printed: ${out}` });
    try {
      expect(await waitFor(/\n/)).toBe(true); // the latest request, printed at once
      const res = await fetch(`${serverUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...scenarioHeader({ status: 529, errorType: 'overloaded_error', errorMessage: 'Overloaded' }) },
        body: JSON.stringify({ model: 'gpt-follow', stream: true, messages: [] }),
      });
      await res.text();
      expect(await waitFor(/upstream_error\s+529\s+gpt-follow/)).toBe(true);
    } finally {
      tail.kill('SIGINT');
    }
    const code = await new Promise((r) => tail.once('exit', r));
    expect(code).toBe(0);
  });
});

describe('errors are one clear line and a non-zero exit', () => {
  it('bad flags and commands: exit 2', () => {
    const unknown = cli(['export', '--db', db, '--nope']);
    expect(unknown.code).toBe(2);
    expectOneCleanLine(unknown.stderr);
    const badOutcome = cli(['export', '--db', db, '--outcome', 'exploded']);
    expect(badOutcome.code).toBe(2);
    expect(badOutcome.stderr).toContain('unknown outcome "exploded"');
    const badCommand = cli(['frobnicate']);
    expect(badCommand.code).toBe(2);
    expectOneCleanLine(badCommand.stderr);
    const badUpstream = cli(['serve', '--upstream', 'nourl', '--db', path.join(dir, 'x.db')]);
    expect(badUpstream.code).toBe(2);
    expectOneCleanLine(badUpstream.stderr);
  }, 90_000);

  it('an unreadable or missing database: exit 1, naming the file', () => {
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database at all, just some text '.repeat(100));
    const r = cli(['export', '--db', junk]);
    expect(r.code).toBe(1);
    expectOneCleanLine(r.stderr);
    expect(r.stderr).toContain(junk);
    const missing = cli(['export', '--db', path.join(dir, 'missing.db')]);
    expect(missing.code).not.toBe(0);
    expectOneCleanLine(missing.stderr);
    expect(missing.stderr).toContain('no database at');
  }, 90_000);

  it('a port in use: exit 1 with a clear message', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = cli(['serve', '--port', String(port), '--db', path.join(dir, 'busy.db'), '--no-dashboard']);
      expect(r.code).toBe(1);
      expectOneCleanLine(r.stderr);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });
});

describe('settings from the dashboard', () => {
  it('apply to the running server at once and are saved to the settings file; a port that cannot be bound changes nothing', async () => {
    // Connections of their own: the spawnSync calls before this test block the event
    // loop for longer than the server keeps an idle connection, so a pooled one may be
    // closed by the server just as it is reused.
    const dispatcher = new Agent();
    const call = async (channel: string, args: unknown) =>
      (await (
        await undiciFetch(`${serverUrl}/__streamtap/api/call/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-streamtap-token': token },
          body: JSON.stringify(args),
          dispatcher,
        })
      ).json()) as { ok: boolean; result?: Record<string, unknown>; error?: { message: string } };
    const current = await call('settings.get', {});
    expect(current.ok).toBe(true);
    const next = { ...current.result, upstreams: { ...(current.result!['upstreams'] as object), extra: fake.url } };
    const saved = await call('settings.set', next);
    expect(saved.ok).toBe(true);
    const res = await undiciFetch(`${serverUrl}/extra/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: [] }), dispatcher });
    expect(res.status).toBe(200);
    await res.text();
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'settings.json'), 'utf8')) as { upstreams: Record<string, string> };
    expect(file.upstreams['extra']).toBe(fake.url);
    // A new port rebinds (test/integration/settings-apply.test.ts); one in use is refused
    // and the server stays where it is.
    const busy = Number(new URL(fake.url).port);
    const moved = await call('settings.set', { ...next, port: busy });
    expect(moved.ok).toBe(false);
    expect(moved.error!.message).toContain(`port ${busy} on 127.0.0.1 is already in use`);
    expect((await call('status.get', {})).result).toMatchObject({ listening: true, port: Number(new URL(serverUrl).port) });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'data', 'settings.json'), 'utf8')).port).not.toBe(busy);
    await dispatcher.close();
  });
});

describe('a failing database', () => {
  it('logs one "recording degraded" line, then "recording recovered", and the problem banner clears', async () => {
    let err = '';
    server!.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const status = async () =>
      ((await (await fetch(`${serverUrl}/__streamtap/api/call/status.get`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-streamtap-token': token }, body: '{}' })).json()) as {
        result: { storeDegraded: boolean; problem: string | null };
      }).result;
    const locker = new Database(db);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${serverUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-locked', messages: [] }) });
        await res.text();
      }
      await waitUntil('the degraded line', () => /recording degraded/.test(err));
      expect((await status()).problem).toMatch(/^Recording is degraded/);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    await waitUntil('the recovered line', () => /recording recovered/.test(err));
    expect(err.match(/recording degraded/g)).toHaveLength(1);
    expect(await status()).toMatchObject({ storeDegraded: false, problem: null });
  });
});

describe('paths the user types', () => {
  it('resolve against the folder `npm run streamtap` was run in, not the package folder', () => {
    // npm runs the script in the package folder and passes the user's folder in INIT_CWD.
    const work = path.join(dir, 'work', 'sub');
    fs.mkdirSync(work, { recursive: true });
    openStore({ path: path.join(work, 'rel.db') }).close();
    const r = spawnSync('npm', ['--prefix', ROOT, 'run', '--silent', 'streamtap', '--', 'export', '--db', 'rel.db', '--out', '../up.json'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, STREAMTAP_DATA_DIR: path.join(dir, 'data') },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = path.join(dir, 'work', 'up.json');
    expect(r.stderr).toContain(`exported 0 records to ${out}`);
    expect((JSON.parse(fs.readFileSync(out, 'utf8')) as { records: unknown[] }).records).toEqual([]);
    expect(fs.existsSync(path.join(ROOT, 'rel.db'))).toBe(false);
    const settings = spawnSync('npm', ['--prefix', ROOT, 'run', '--silent', 'streamtap', '--', 'serve', '--settings', 'mine.json', '--db', 'rel.db'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(settings.status).toBe(2);
    expect(settings.stderr).toContain(`there is no file ${path.join(work, 'mine.json')}`);
  }, 120_000);

  it('trust INIT_CWD only when npm ran the streamtap script itself', () => {
    expect(userCwd({ INIT_CWD: '/home/me/project', npm_lifecycle_event: 'streamtap' }, '/opt/streamtap')).toBe('/home/me/project');
    expect(userCwd({ INIT_CWD: '/home/me', npm_lifecycle_event: 'test' }, '/opt/streamtap')).toBe('/opt/streamtap');
    expect(userCwd({}, '/opt/streamtap')).toBe('/opt/streamtap');
  });
});

// After the settings test: these spawn several processes, and the settings test reuses
// a keep-alive connection the server would close after 65 s idle.
describe('bad values of flags', () => {
  it('bad values: a port out of range, a limit of 0', () => {
    for (const port of ['70000', '-1']) {
      const badPort = cli(['serve', '--port', port, '--db', path.join(dir, 'x.db'), '--no-dashboard']);
      expect(badPort.code, port).toBe(2);
      expectOneCleanLine(badPort.stderr);
      expect(badPort.stderr).toContain(`--port expects a port number from 0 to 65535 (0 = any free port), got "${port}"`);
    }
    const badLimit = cli(['sessions', '--db', db, '--limit', '0']);
    expect(badLimit.code).toBe(2);
    expectOneCleanLine(badLimit.stderr);
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
  }, 90_000);

  it('bad retention limits: a fraction, a negative number, a word', () => {
    for (const [flag, value] of [
      ['--retention-max-mib', '1.5'],
      ['--retention-max-mib', '-1'],
      ['--retention-days', 'week'],
    ] as const) {
      const r = cli(['serve', flag, value, '--db', path.join(dir, 'x.db'), '--no-dashboard']);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expectOneCleanLine(r.stderr);
      expect(r.stderr).toContain(`${flag} expects a whole number of ${flag === '--retention-days' ? 'days' : 'MiB'} (0 or more), got "${value}"`);
    }
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
  }, 90_000);

  it('a missing --settings FILE is an error, not silently ignored', () => {
    const missing = path.join(dir, 'no-such-settings.json');
    const r = cli(['serve', '--settings', missing, '--db', path.join(dir, 'x.db'), '--no-dashboard']);
    expect(r.code).toBe(2);
    expectOneCleanLine(r.stderr);
    expect(r.stderr).toContain(`there is no file ${missing}`);
  });

  it('an upstream URL with a password is refused without printing the password', () => {
    const flag = cli(['serve', '--upstream', 'corp=https://alice:hunter2-SECRET@llm.example.com', '--db', path.join(dir, 'x.db'), '--no-dashboard']);
    expect(flag.code).toBe(2);
    expectOneCleanLine(flag.stderr);
    expect(flag.stderr).toContain('https://…@llm.example.com carries a user name or password');
    const settings = path.join(dir, 'userinfo-settings.json');
    fs.writeFileSync(settings, JSON.stringify({ upstreams: { corp: 'https://alice:hunter2-SECRET@llm.example.com' } }));
    const fromFile = cli(['serve', '--settings', settings, '--db', path.join(dir, 'x.db'), '--no-dashboard']);
    expect(fromFile.code).toBe(1);
    expectOneCleanLine(fromFile.stderr);
    for (const r of [flag, fromFile]) {
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(r.stdout + r.stderr).not.toContain('alice');
    }
  }, 60_000);
});

// `npm start` on a fresh install, end to end, where Electron's binary cannot come from
// GitHub: the start script must run Electron's own installer, which fetches a stand-in
// Electron zip from a loopback mirror (ELECTRON_MIRROR, checksums from the mirror's
// SHASUMS256.txt, a temporary download cache), and then launch that binary on the
// built app. Where the download fails, the user gets one line that points at `serve`.
// Runs in a temporary copy of the project (test/fixtures/electron-stand-in.ts).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, makeTempProject, readLaunches, runProjectScript, startElectronMirror, type ElectronMirror, type ScriptRun, type TempProject } from '../fixtures/electron-stand-in.js';
import { waitUntil } from '../fixtures/wait.js';

const ELECTRON_VERSION = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../node_modules/electron/package.json'), 'utf8')).version as string;
const ABI = fs.readFileSync(path.resolve(import.meta.dirname, '../../node_modules/electron/abi_version'), 'utf8').trim();

function runScript(script: string, project: TempProject, env: Record<string, string>, args: string[] = []): Promise<ScriptRun> {
  return runProjectScript(project.dir, script, env, args);
}

/** As root (CI, containers) Chromium needs --no-sandbox, and the start script says so
 * instead of launching (a test below); elsewhere the launch goes ahead without it. */
const AS_ROOT = process.getuid?.() === 0;
const NO_SANDBOX = AS_ROOT ? ['--no-sandbox'] : [];

const runStart = (project: TempProject, env: Record<string, string>, args: string[] = []) => runScript('start.mjs', project, env, args);


// Each test builds the app and runs the start script (several seconds on a busy machine).
describe.skipIf(process.platform === 'win32')('npm start on a fresh install', { timeout: 120_000 }, () => {
  let project: TempProject;
  let mirror: ElectronMirror | null = null;
  let env: Record<string, string>;
  let launchLog: string;

  beforeEach(() => {
    project = makeTempProject('start-flow');
    launchLog = path.join(project.dir, 'launches.jsonl');
    // The Electron-ABI better-sqlite3 cannot be compiled offline (it needs Electron's
    // headers); a placeholder where the build puts it lets the start flow go on to the
    // launch. The stand-in never loads it.
    const addon = path.join(project.dir, '.native', `electron-${ABI}`, 'better_sqlite3.node');
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.writeFileSync(addon, 'placeholder');
    env = {
      electron_config_cache: path.join(project.dir, 'electron-cache'),
      STREAMTAP_STAND_IN_LOG: launchLog,
    };
    delete process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  });

  afterEach(async () => {
    await mirror?.close();
    mirror = null;
    project.remove();
  });

  it('fetches Electron with its own installer from ELECTRON_MIRROR, then launches it on the built app', async () => {
    mirror = await startElectronMirror(ELECTRON_VERSION);
    const run = await runStart(project, { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' }, ['--hidden', ...NO_SANDBOX]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.code).toBe(0);

    const zip = `/v${ELECTRON_VERSION}/electron-v${ELECTRON_VERSION}-${process.platform}-${process.arch}.zip`;
    expect(mirror.requests).toEqual(expect.arrayContaining([zip, `/v${ELECTRON_VERSION}/SHASUMS256.txt`]));
    expect(run.stdout).toContain(`fetching the Electron ${ELECTRON_VERSION} binary`);
    expect(run.stdout).toContain(`is already built for Electron ${ELECTRON_VERSION}`);
    // installed into the project's electron package, as the installer does
    expect(fs.readFileSync(path.join(project.electronDir, 'path.txt'), 'utf8')).toBe('electron');
    expect(fs.existsSync(path.join(project.dir, 'out', 'main', 'index.js'))).toBe(true);

    const launches = readLaunches(launchLog);
    expect(launches).toHaveLength(1);
    expect(launches[0]!.cwd).toBe(project.dir);
    expect(launches[0]!.argv).toEqual(['--js-flags=--max-semi-space-size=4', '.', '--hidden', ...NO_SANDBOX]);
  });

  it('fetches once: a start after the binary is installed launches it without a download', async () => {
    mirror = await startElectronMirror(ELECTRON_VERSION);
    const mirrorEnv = { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' };
    // installed by `npm run setup` (the same fetch, without the build and the launch)
    expect((await runScript('setup.mjs', project, mirrorEnv)).code).toBe(0);
    const fetched = mirror.requests.length;
    expect(fetched).toBeGreaterThan(0);
    const start = await runStart(project, mirrorEnv, NO_SANDBOX);
    expect(start.code).toBe(0);
    expect(start.stdout).not.toContain('fetching the Electron');
    expect(mirror.requests).toHaveLength(fetched);
    expect(readLaunches(launchLog)).toHaveLength(1);
  });

  it('without network, says so in one line that points at serve, and launches nothing', async () => {
    const port = await closedPort();
    const run = await runStart(project, { ...env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_use_remote_checksums: '1' });
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter(Boolean);
    const ours = lines.filter((l) => l.startsWith('streamtap:'));
    expect(ours).toEqual([
      `streamtap: could not download the Electron ${ELECTRON_VERSION} binary from the mirror http://127.0.0.1:${port}/: fetch failed. ` +
        'The desktop app needs it once, with network access. `npm run streamtap -- serve` runs the same recorder with the dashboard in a browser.',
    ]);
    // the installer's stack trace is not shown
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain('FetchDownloader');
    expect(readLaunches(launchLog)).toEqual([]);
    expect(fs.existsSync(path.join(project.electronDir, 'path.txt'))).toBe(false);
  });

  it('npm run dev and npm run setup fetch the same way, and fail with the same one line', async () => {
    const port = await closedPort();
    const offline = { ...env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_use_remote_checksums: '1' };
    for (const script of ['dev.mjs', 'setup.mjs']) {
      const run = await runScript(script, project, offline);
      expect(run.code, script).toBe(1);
      expect(run.stderr.split('\n').filter((l) => l.startsWith('streamtap:')), script).toEqual([
        expect.stringMatching(/^streamtap: could not download the Electron .* fetch failed\. .*`npm run streamtap -- serve`/),
      ]);
    }
    mirror = await startElectronMirror(ELECTRON_VERSION);
    const setup = await runScript('setup.mjs', project, { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' });
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain(`Electron ${ELECTRON_VERSION} is installed`);
    expect(fs.readFileSync(path.join(project.electronDir, 'path.txt'), 'utf8')).toBe('electron');
    // setup prepares; it launches nothing
    expect(readLaunches(launchLog)).toEqual([]);
  });

  it('Ctrl+C reaches Electron once: it runs in its own process group and the script forwards one signal', async () => {
    mirror = await startElectronMirror(ELECTRON_VERSION);
    // The stand-in stays up and quits 300 ms after its first signal, as Electron does
    // while it flushes; a second signal in that window would kill the real one.
    const stayEnv = { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1', STREAMTAP_STAND_IN_STAY: '1', STREAMTAP_STAND_IN_GRACE_MS: '300' };
    // Started as a terminal starts a job: in a process group of its own, which a
    // Ctrl+C signals as a whole.
    const child = spawn(process.execPath, [path.join(project.dir, 'scripts', 'start.mjs'), ...NO_SANDBOX], {
      cwd: project.dir,
      env: { ...process.env, ...stayEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitUntil('the stand-in Electron to start', () => readLaunches(launchLog).length === 1, { timeoutMs: 90_000 });
      const groupId = child.pid!;
      process.kill(-groupId, 'SIGINT'); // the terminal's Ctrl+C, to the whole foreground group
      process.kill(groupId, 'SIGINT'); // npm forwarding the same Ctrl+C to its child
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    const launches = readLaunches(launchLog);
    expect(launches).toHaveLength(2); // one line at launch, one at exit
    expect(launches[1]!.signals).toEqual(['SIGINT']);
    expect(stderr).toContain('streamtap: quitting');
  });

  it.runIf(AS_ROOT && process.platform === 'linux')('as root without --no-sandbox: one line with both ways out, and no launch', async () => {
    mirror = await startElectronMirror(ELECTRON_VERSION);
    const run = await runStart(project, { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('streamtap:'))).toEqual([
      'streamtap: Electron will not run as root with its sandbox on. Run `npm start` as your own user, ' +
        "or `npm start -- --no-sandbox` to run without Chromium's sandbox (containers, CI).",
    ]);
    expect(readLaunches(launchLog)).toEqual([]);
  });

  it('a mirror without this version: the line names the missing file', async () => {
    mirror = await startElectronMirror('0.0.1');
    // the fetch step is shared by start, dev and setup; setup skips the build
    const run = await runScript('setup.mjs', project, { ...env, ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' });
    expect(run.code).toBe(1);
    const ours = run.stderr.split('\n').filter((l) => l.startsWith('streamtap:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(new RegExp(`Response code 404 .*v${ELECTRON_VERSION.replace(/\./g, '\\.')}/electron-v${ELECTRON_VERSION.replace(/\./g, '\\.')}-`));
    expect(readLaunches(launchLog)).toEqual([]);
  });
});

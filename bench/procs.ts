// The processes the benchmark starts (the fake provider, Streamtap, nginx) and what it
// reads about them from /proc: CPU time of every thread, resident memory. It stops only
// what it started, by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

// ---- /proc ------------------------------------------------------------------------------

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** utime + stime from one /proc/<pid>/stat line, in ms. The process name (field 2) may
 * hold spaces and parentheses, so fields are counted from the last ')'. */
export function parseStatCpuMs(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** The parent pid (field 4) of one /proc/<pid>/stat line. */
export function parseStatPpid(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** CPU time of a process, all its threads (the writer worker included), in ms; null once it is gone. */
export function cpuMs(pid: number): number | null {
  return statFileCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of a process's main thread alone, in ms; null once it is gone. For
 * Streamtap that is the thread serving the proxy (the writer and V8's collector and
 * compiler threads are the others); /proc/<pid>/stat itself counts all threads. */
export function mainThreadCpuMs(pid: number): number | null {
  return statFileCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statFileCpuMs(file: string): number | null {
  try {
    return parseStatCpuMs(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function procAvailable(): boolean {
  return cpuMs(process.pid) !== null;
}

/** Busy and total CPU time of the whole machine (all cores) from /proc/stat, in ms. */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, v) => a + v, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

/** Current and peak resident memory (VmRSS, VmHWM) in MB. */
export function memoryMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && hwm ? { rss: Number(rss[1]) / 1024, peak: Number(hwm[1]) / 1024 } : null;
  } catch {
    return null;
  }
}

/** Pids whose parent is `pid` (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (parseStatPpid(fs.readFileSync(`/proc/${name}/stat`, 'utf8')) === pid) out.push(Number(name));
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

// ---- starting and stopping ------------------------------------------------------------

export interface Proc {
  child: ChildProcess;
  pid: number;
  what: string;
  /** the tail of what it printed (stdout and stderr) */
  output(): string;
  /** settles when it exits */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

export function spawnProcess(cmd: string, args: string[], opts: { what: string; env?: NodeJS.ProcessEnv }): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  started.push(child);
  let out = '';
  // Keep the tail only: a long run must not grow this without bound.
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      out += `\n${e.message}`;
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`${opts.what} could not be started (${cmd})`);
  return { child, pid: child.pid, what: opts.what, output: () => out, exit };
}

/** Resolves with the first capture group of the first stdout line matching `ready`;
 * rejects if the process exits first or takes longer than `timeoutMs`. */
export function waitForLine(proc: Proc, ready: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (c: Buffer) => {
      seen = (seen + c.toString()).slice(-20_000);
      const m = ready.exec(seen);
      if (m) {
        done();
        resolve(m[1] ?? m[0]);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${proc.what} was not ready within ${timeoutMs} ms: ${proc.output().trim().slice(-2000)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      proc.child.stdout!.off('data', onData);
    };
    proc.child.stdout!.on('data', onData);
    void proc.exit.then(({ code, signal }) => {
      done();
      reject(new Error(`${proc.what} exited (${code ?? signal}) before it was ready: ${proc.output().trim().slice(-2000)}`));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Processes this run did not spawn itself but owns (nginx's workers), by pid and name. */
const adopted = new Map<number, string>();

export function adopt(pid: number, name: string): void {
  adopted.set(pid, name);
}

/**
 * Last resort (Ctrl-C, a crash): stop whatever this run started and is still alive,
 * without waiting. SIGTERM rather than SIGKILL, so nginx's master still takes its
 * workers down and Streamtap flushes its database; the adopted processes are killed
 * outright, once checked to still be what they were (not a reused pid).
 */
export function abandonStarted(): void {
  for (const c of started) if (!exited(c)) c.kill('SIGTERM');
  for (const [pid, name] of adopted) if (processName(pid) === name) killQuietly(pid);
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The command name of a pid (field 2 of /proc/<pid>/stat), null when there is none. */
export function processName(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {
    return null;
  }
}

/** The node flags `npm run streamtap` runs the CLI with, read from package.json so the
 * benchmark measures the same process a user runs. */
export function streamtapNodeArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['streamtap']!.trim().split(/\s+/);
  // `exec node …`: the shell hands its process over to node (so npm's signals reach it).
  if (words[0] === 'exec') words.shift();
  if (words[0] !== 'node') throw new Error(`package.json's "streamtap" script does not start with node: ${pkg.scripts['streamtap']}`);
  return words.slice(1);
}

/** A port that was free a moment ago, for a server (nginx) that cannot report the port 0 gave it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port; bounded. */
export async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Waits until the processes stop using CPU (no tick for two polls in a row): queued
 * store writes flushed, the writer thread idle, GC done. Bounded; returns whether they
 * went quiet. CPU is read at a 10 ms resolution, so "quiet" means below ~10 % of a core.
 */
export async function waitQuiet(pids: number[], timeoutMs = 3_000, pollMs = 60): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let last = pids.map(cpuMs);
  let still = 0;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, pollMs));
    const now = pids.map(cpuMs);
    still = now.every((v, i) => v === last[i]) ? still + 1 : 0;
    if (still >= 2) return true;
    last = now;
  }
  return false;
}

export function findExecutable(name: string, extraDirs: string[] = ['/usr/sbin', '/usr/local/sbin', '/sbin']): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

// nginx beside Streamtap as a plain reverse proxy (no recording): the yardstick for what
// forwarding alone costs. Configured the way a streaming proxy must be — response
// buffering off, HTTP/1.1 keep-alive to the provider — with one worker process, so its
// CPU time compares with Streamtap's one proxy thread. Runs in the foreground from a
// private prefix folder, as the user running the benchmark.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { adopt, childPids, findExecutable, freePort, killQuietly, processName, spawnProcess, stopProcess, waitForPort } from './procs.js';

export interface Nginx {
  url: string;
  version: string;
  /** the master and its worker */
  pids(): number[];
  stop(): Promise<void>;
}

export function nginxConfig(opts: { dir: string; port: number; upstreamPort: number }): string {
  const d = opts.dir;
  return `# written by bench/nginx.ts for one benchmark run
daemon off;
master_process on;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  upstream provider {
    server 127.0.0.1:${opts.upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${opts.port};
    # whole request bodies in memory (the agent session sends 200 KB), like Streamtap
    client_max_body_size 0;
    client_body_buffer_size 4m;
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
    }
  }
}
`;
}

/** Starts nginx in front of the provider, or returns why it cannot (not installed…). */
export async function startNginx(dir: string, upstreamPort: number): Promise<Nginx | string> {
  const bin = findExecutable('nginx');
  if (!bin) return 'nginx is not installed (Debian: apt-get install nginx-light); the nginx column is skipped';
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  const version = /nginx\/([\d.]+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? 'unknown';
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'error.log');
  // The port is picked free just before nginx binds it; another process may take it in
  // between, so a failed start is retried on a fresh port.
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, nginxConfig({ dir, port, upstreamPort }));
    // -e: the error log before the config is read (the default path is not writable
    // for a normal user).
    const proc = spawnProcess(bin, ['-p', dir, '-c', conf, '-e', log], { what: 'nginx' });
    // nginx prints nothing when it is ready: wait for its port (or its exit).
    const ready = await Promise.race([waitForPort(port, 5_000), proc.exit.then(() => false)]);
    if (!ready) {
      await stopProcess(proc.child, 2_000);
      lastError = `${proc.output().trim()} ${readTail(log)}`.trim() || 'it did not open its port within 5 s';
      continue;
    }
    const master = proc.pid;
    let workers = childPids(master);
    // Known to the emergency stop (procs.abandonStarted) before anyone holds this handle.
    for (const pid of workers) adopt(pid, 'nginx');
    return {
      url: `http://127.0.0.1:${port}`,
      version,
      pids() {
        // A worker nginx restarts (it should not) gets a new pid: look again when one is gone.
        if (workers.length === 0 || !workers.every((p) => fs.existsSync(`/proc/${p}`))) {
          workers = childPids(master);
          for (const pid of workers) adopt(pid, 'nginx');
        }
        return [master, ...workers];
      },
      async stop() {
        const last = [...workers];
        // SIGTERM to the master is nginx's fast shutdown; it stops its workers itself.
        await stopProcess(proc.child, 5_000);
        // Its workers go with it; one left behind (the master was killed) is ended here,
        // after checking that the pid still is an nginx and not a process that reused it.
        for (const pid of last) if (processName(pid) === 'nginx') killQuietly(pid);
      },
    };
  }
  return `nginx would not start: ${lastError}`;
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

// Playwright fixtures for the headless dashboard. Per test: a temporary data folder, the
// fake upstream on 127.0.0.1, and `streamtap serve` as a child process pointed at it
// (`--port 0`, its own database, both upstreams on the fake). The server's stdout gives
// the proxy URL (`listening …`) and the dashboard URL with its token (`dashboard …`).
// The process is killed by pid and the folder removed when the test ends, so tests
// never see each other's records.
//
// Every test also fails on any console error or uncaught page error in any of its
// pages (a script error that breaks live updating must not pass unnoticed); a test
// that provokes one on purpose names it with `test.use({ allowedConsoleErrors: […] })`.

import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioHeader, startFakeUpstream, type FakeUpstream, type Scenario } from '../fixtures/fake-upstream.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RENDERER_INDEX = path.join(REPO_ROOT, 'out', 'renderer', 'index.html');
const START_TIMEOUT_MS = 30_000;

/** User agents of real tools, so rows read like a real session (the core derives `client` from them). */
export const UA = {
  claudeCode: 'claude-cli/2.0.14 (external, cli)',
  codex: 'codex_exec/0.46.0 (Debian 12; x86_64) xterm-256color',
  openaiJs: 'OpenAI/JS 6.3.0',
  aider: 'aider/0.86.1',
} as const;

export interface SendOptions {
  scenario?: Scenario;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Streamtap {
  /** the proxy, e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** the dashboard page, with its ?token= */
  readonly dashboardUrl: string;
  readonly dataDir: string;
  readonly fake: FakeUpstream;
  /** POST a JSON body through the proxy */
  send(pathname: string, body: unknown, opts?: SendOptions): Promise<Response>;
  /** OpenAI chat completion through the proxy (stream by default) */
  chat(opts?: SendOptions & { model?: string; prompt?: string; stream?: boolean; includeUsage?: boolean }): Promise<Response>;
  /** Anthropic messages through the proxy (stream by default) */
  messages(opts?: SendOptions & { model?: string; prompt?: string; stream?: boolean; system?: string }): Promise<Response>;
  /** OpenAI responses through the proxy (stream by default) */
  responses(opts?: SendOptions & { model?: string; prompt?: string; stream?: boolean }): Promise<Response>;
  /** what the server printed so far (for failure messages) */
  output(): string;
  /**
   * Stops the server (SIGTERM, or SIGKILL for a crash) and starts it again on the same
   * port with the same data folder and database; `args` are extra `serve` flags
   * (e.g. --rotate-token). baseUrl and dashboardUrl then name the new process's.
   */
  restart(opts?: { signal?: 'SIGTERM' | 'SIGKILL'; args?: string[] }): Promise<void>;
}

/** Where screenshots are kept (the README's are refreshed from here on request). */
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** Saves a screenshot of the page under test-results/screenshots and attaches it to the test. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}

/** Reads a response body to the end and returns it as text. */
export async function drain(res: Response): Promise<string> {
  return await res.text();
}

/** Reads a streamed body until `done(textSoFar)` holds; the stream stays open. */
export async function readUntil(res: Response, done: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!done(text)) {
    if (Date.now() > deadline) throw new Error(`readUntil: condition not met after ${timeoutMs} ms; got: ${text.slice(0, 500)}`);
    const { value, done: end } = await reader.read();
    if (end) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

/** Content deltas seen in an OpenAI chat SSE text. */
export function chatDeltas(sse: string): string[] {
  const out: string[] = [];
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    try {
      const j = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
      const c = j.choices?.[0]?.delta?.content;
      if (c) out.push(c);
    } catch {
      // a partial line at the end of a read
    }
  }
  return out;
}

// Environment that would redirect the server's upstreams away from the fake.
const STRIP_ENV = /^(STREAMTAP_|OPENAI_BASE_URL$|OPENAI_API_BASE$|ANTHROPIC_BASE_URL$|HTTPS?_PROXY$|https?_proxy$|ALL_PROXY$)/;

interface Server {
  child: ChildProcess;
  baseUrl: string;
  dashboardUrl: string;
  output: () => string;
}

async function startServer(fake: FakeUpstream, dataDir: string, opts: { port?: number; args?: string[] } = {}): Promise<Server> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!STRIP_ENV.test(k)) env[k] = v;
  env['STREAMTAP_DATA_DIR'] = dataDir;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src-main/headless/cli.ts',
      'serve',
      '--port',
      String(opts.port ?? 0),
      '--db',
      path.join(dataDir, 't.db'),
      '--upstream',
      `openai=${fake.url}`,
      '--upstream',
      `anthropic=${fake.url}`,
      ...(opts.args ?? []),
    ],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => (out += c));
  child.stderr!.on('data', (c: string) => (out += c));
  const output = () => out;
  const urls = await new Promise<{ baseUrl: string; dashboardUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`streamtap serve did not print its URLs within ${START_TIMEOUT_MS} ms. Output:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const listening = /^listening (\S+)$/m.exec(out);
      const dashboard = /^dashboard (\S+)$/m.exec(out);
      if (listening && dashboard) {
        cleanup();
        resolve({ baseUrl: listening[1]!.replace(/\/+$/, ''), dashboardUrl: dashboard[1]! });
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`streamtap serve exited early (code ${code}, signal ${signal}). Output:\n${out}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });
  return { child, ...urls, output };
}

async function stopServer(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, signal);
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

export interface GuardOptions {
  /** console errors a test provokes on purpose (e.g. a refused token's 401) */
  allowedConsoleErrors: RegExp[];
}

export const test = base.extend<{ streamtap: Streamtap; pageErrorGuard: void } & GuardOptions>({
  allowedConsoleErrors: [[], { option: true }],
  // Automatic: attached to the context before any page opens, checked when the test ends.
  pageErrorGuard: [
    async ({ context, allowedConsoleErrors }, use, testInfo) => {
      const problems: string[] = [];
      context.on('console', (m) => {
        if (m.type() !== 'error') return;
        const text = m.text();
        if (allowedConsoleErrors.some((re) => re.test(text))) return;
        const at = m.location();
        problems.push(`console error: ${text}${at.url ? ` (${at.url}:${at.lineNumber})` : ''}`);
      });
      context.on('weberror', (e) => {
        const err = e.error();
        problems.push(`page error: ${err.stack ?? err.message}`);
      });
      await use();
      if (problems.length) {
        await testInfo.attach('page-errors.txt', { body: problems.join('\n\n'), contentType: 'text/plain' });
        throw new Error(`The page logged ${problems.length} error${problems.length === 1 ? '' : 's'}:\n${problems.slice(0, 5).join('\n')}`);
      }
    },
    { auto: true },
  ],
  streamtap: async ({ context }, use, testInfo) => {
    if (!fs.existsSync(RENDERER_INDEX)) {
      throw new Error(`The dashboard is not built: ${path.relative(REPO_ROOT, RENDERER_INDEX)} is missing. Run "npm run build" before the end-to-end tests.`);
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-e2e-'));
    const fake = await startFakeUpstream();
    let server: Server | null = null;
    let log = '';
    try {
      server = await startServer(fake, dataDir);
      const current = (): Server => server!;
      const send = (pathname: string, body: unknown, opts: SendOptions = {}) =>
        fetch(`${current().baseUrl}${pathname}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(opts.scenario ? scenarioHeader(opts.scenario) : {}),
            ...opts.headers,
          },
          body: JSON.stringify(body),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      const st: Streamtap = {
        get baseUrl() {
          return current().baseUrl;
        },
        get dashboardUrl() {
          return current().dashboardUrl;
        },
        dataDir,
        fake,
        send,
        chat: (o = {}) =>
          send(
            '/v1/chat/completions',
            {
              model: o.model ?? 'gpt-4.1-mini',
              stream: o.stream ?? true,
              messages: [
                { role: 'system', content: 'You are a careful coding assistant.' },
                { role: 'user', content: o.prompt ?? 'Explain what a keyset cursor is.' },
              ],
              temperature: 0.2,
              ...(o.includeUsage ? { stream_options: { include_usage: true } } : {}),
            },
            { ...o, headers: { authorization: 'Bearer sk-test-e2e-0000000000000000abcd', 'user-agent': UA.openaiJs, ...o.headers } },
          ),
        messages: (o = {}) =>
          send(
            '/v1/messages',
            {
              model: o.model ?? 'claude-sonnet-4-5',
              max_tokens: 1024,
              stream: o.stream ?? true,
              system: o.system ?? 'You are Claude Code, an agentic coding tool.',
              messages: [{ role: 'user', content: [{ type: 'text', text: o.prompt ?? 'Refactor the parser to stream tokens.' }] }],
            },
            { ...o, headers: { 'x-api-key': 'sk-ant-test-e2e-00000000000000wxyz', 'anthropic-version': '2023-06-01', 'user-agent': UA.claudeCode, ...o.headers } },
          ),
        responses: (o = {}) =>
          send(
            '/v1/responses',
            { model: o.model ?? 'gpt-5-codex', stream: o.stream ?? true, instructions: 'You are Codex.', input: [{ role: 'user', content: [{ type: 'input_text', text: o.prompt ?? 'Run the tests.' }] }] },
            { ...o, headers: { authorization: 'Bearer sk-test-e2e-0000000000000000efgh', 'user-agent': UA.codex, ...o.headers } },
          ),
        output: () => log + (server?.output() ?? ''),
        restart: async ({ signal = 'SIGTERM', args = [] } = {}) => {
          const old = current();
          const port = Number(new URL(old.baseUrl).port);
          await stopServer(old.child, signal);
          log += old.output();
          server = null;
          server = await startServer(fake, dataDir, { port, args });
        },
      };
      await use(st);
    } finally {
      // The pages go first: a page still polling a server that is going away would log
      // connection errors that are the teardown's, not the test's.
      await Promise.all(context.pages().map((p) => p.close()));
      if (server) {
        if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('streamtap-serve.log', { body: log + server.output(), contentType: 'text/plain' });
        await stopServer(server.child);
      }
      await fake.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect };

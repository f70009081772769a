// A real core (proxy + recorder + store on a temp SQLite file) in front of the fake
// upstream, on ephemeral loopback ports. Each test gets its own folder and servers.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { resolveConfig, type CoreConfig } from '../../src-main/core/config.js';
import { coreOver, createEngine, type Core, type CoreEngine, type CoreOptions } from '../../src-main/core/create-core.js';
import type { RequestRecord, RequestSummary } from '../../src-main/common/record.js';
import { startFakeUpstream, scenarioHeader, type FakeUpstream, type Scenario } from '../fixtures/fake-upstream.js';

export interface Harness {
  /** the core's public surface, what the shells get */
  core: Core;
  /** the wiring inside it, for the tests of what the surface does not show (the
   * store's own calls, a retention run) */
  engine: CoreEngine;
  fake: FakeUpstream;
  url: string;
  dir: string;
  dbPath: string;
  openai(scenario?: Scenario): OpenAI;
  anthropic(scenario?: Scenario): Anthropic;
  /** resolves with the records once `n` requests have finished: the first `n` to
   * finish, in the order they started. (A record waiting for its output estimate from
   * the tokenizer's worker settles a little later, so a quick retry can finish first.) */
  waitForFinished(n: number, timeoutMs?: number): Promise<RequestRecord[]>;
  /** the number of records in the database (what a list of everything would count) */
  count(): Promise<number>;
  close(): Promise<void>;
}

export const SECRET_OPENAI_KEY = 'sk-proj-SECRETopenaiKEY0123456789abcdefWXYZ';
export const SECRET_ANTHROPIC_KEY = 'sk-ant-api03-SECRETanthropicKEY0123456789-abcd';

export async function startHarness(
  overrides: Partial<CoreConfig> = {},
  extraUpstreams: Record<string, string> = {},
  options: CoreOptions = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-test-'));
  const dbPath = path.join(dir, 'streamtap.db');
  const fake = await startFakeUpstream();
  const config = resolveConfig({
    dbPath,
    port: 0,
    checkpointMs: 50,
    ...overrides,
    upstreams: { openai: fake.url, anthropic: fake.url, ...extraUpstreams, ...overrides.upstreams },
  });
  const engine = createEngine(config, options);
  const core = coreOver(engine, options);
  const finished: RequestSummary[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  // Through the core's live source, pushed as soon as possible: a finish is never
  // coalesced away, and each comes once.
  core.live.subscribe(
    (ev) => {
      if (ev.type !== 'records') return;
      for (const c of ev.changes) if (c.kind === 'finished') finished.push(c.summary);
      for (const w of waiters.slice()) {
        if (finished.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    { intervalMs: 0 },
  );
  const { url } = await core.start();
  return {
    core,
    engine,
    fake,
    url,
    dir,
    dbPath,
    openai: (scenario) =>
      new OpenAI({ baseURL: `${url}/v1`, apiKey: SECRET_OPENAI_KEY, maxRetries: 0, timeout: 20_000, defaultHeaders: scenario ? scenarioHeader(scenario) : {} }),
    anthropic: (scenario) =>
      new Anthropic({ baseURL: url, apiKey: SECRET_ANTHROPIC_KEY, maxRetries: 0, timeout: 20_000, defaultHeaders: scenario ? scenarioHeader(scenario) : {} }),
    async waitForFinished(n, timeoutMs = 10_000) {
      if (finished.length < n) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${finished.length} of ${n} requests finished within ${timeoutMs} ms`)), timeoutMs);
          waiters.push({
            n,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
        });
      }
      const recs = await Promise.all(
        finished.slice(0, n).map(async (s) => {
          const rec = await core.api['requests.get']({ id: s.id });
          if (!rec) throw new Error(`record ${s.id} not in the store`);
          return rec;
        }),
      );
      return recs.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async count() {
      return (await core.api['requests.stats']({ filter: {} })).requests;
    },
    async close() {
      await core.stop();
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Raw HTTP through the proxy, for what the SDKs hide (headers, encodings, aborts at a byte). */
export async function rawRequest(
  url: string,
  init: { method?: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<Response> {
  return fetch(url + init.path, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

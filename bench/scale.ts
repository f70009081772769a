// `npm run bench -- --scale N`: the dashboard on the database of a heavy user. Builds a
// database of N recorded requests (through the store's own write path, in large
// batches, so the rows are exactly what Streamtap writes) and times what the dashboard
// asks when it opens and when the user searches — through the API model the desktop
// window and the browser dashboard both call, on a freshly opened connection.
//
// The records are varied the way a few months of agent traffic is: several clients and
// providers, sessions of consecutive requests, streams and whole bodies, every outcome
// (mostly completed; aborts, rate limits, drops, timeouts), token counts, raw events.
// Their bodies are smaller than real agent turns (about 1 KB of prompt, a few hundred
// bytes of answer, up to 16 raw events): a million real Claude Code turns would take
// hundreds of GB.
// One request in RARE_EVERY carries the word RARE_WORD, for a search that has to look
// through everything.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROMPT_CHARS, type ApiKind, type Outcome, type RawEvent, type RequestRecord } from '../src-main/common/record.js';
import type { ApiModel } from '../src-main/core/api-model.js';
import type { RequestPage } from '../src-main/common/contract.js';
import { resolveConfig } from '../src-main/core/config.js';
import { coreOver, createEngine, type CoreEngine } from '../src-main/core/create-core.js';
import { diagnose } from '../src-main/core/recorder/classify.js';
import { newId } from '../src-main/core/proxy/server.js';
import { fmt, table, target, targetRows, type Target } from './report.js';
import { median } from './stats.js';
import { prng, words } from './workloads.js';

export const RARE_WORD = 'quokka';
export const RARE_EVERY = 10_007;
/** a word most requests carry */
export const COMMON_WORD = 'retry';
const SESSION_LENGTH = 30;
/** records span this much time before the newest */
const SPAN_MS = 90 * 86_400_000;
// records per flush: one flush must end within the store's drain timeout (10 s) on a busy machine
const BATCH = 2_000;

// ---- the records ----------------------------------------------------------------------

interface ClientKind {
  label: string;
  userAgent: string;
  upstream: string;
  api: ApiKind;
  path: string;
  models: string[];
  sessions: boolean;
  weight: number;
}

const CLIENTS: ClientKind[] = [
  { label: 'Claude Code 2.0.14', userAgent: 'claude-cli/2.0.14 (external, cli)', upstream: 'anthropic', api: 'messages', path: '/v1/messages?beta=true', models: ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'], sessions: true, weight: 45 },
  { label: 'Codex 0.46.0', userAgent: 'codex_cli_rs/0.46.0 (Debian 12; x86_64) xterm-256color', upstream: 'openai', api: 'responses', path: '/v1/responses', models: ['gpt-5-codex', 'gpt-5'], sessions: true, weight: 20 },
  { label: 'opencode 0.15.2', userAgent: 'opencode/0.15.2 ai-sdk/provider-utils/3.0.9', upstream: 'anthropic', api: 'messages', path: '/v1/messages', models: ['claude-sonnet-4-5-20250929'], sessions: true, weight: 10 },
  { label: 'OpenAI/JS 6.3.0', userAgent: 'OpenAI/JS 6.3.0', upstream: 'openai', api: 'chat.completions', path: '/v1/chat/completions', models: ['gpt-4o-mini', 'gpt-4.1'], sessions: false, weight: 10 },
  { label: 'Aider 0.86.1', userAgent: 'aider/0.86.1 litellm/1.77.0', upstream: 'openai', api: 'chat.completions', path: '/v1/chat/completions', models: ['gpt-4.1'], sessions: false, weight: 5 },
  { label: 'Anthropic/Python 0.69.0', userAgent: 'Anthropic/Python 0.69.0', upstream: 'anthropic', api: 'messages', path: '/v1/messages', models: ['claude-haiku-4-5-20251001'], sessions: false, weight: 5 },
  { label: 'curl 8.5.0', userAgent: 'curl/8.5.0', upstream: 'openai', api: 'embeddings', path: '/v1/embeddings', models: ['text-embedding-3-small'], sessions: false, weight: 5 },
];
const CLIENT_WEIGHT = CLIENTS.reduce((a, c) => a + c.weight, 0);

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** A log-uniform draw in [lo, hi]: many small values, a long tail of large ones. */
function logUniform(rand: () => number, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));
}

/** Paragraphs drawn from once, so building a million records stays fast; every record
 * still gets its own mix of them and a line of its own. */
const PARAGRAPHS = (() => {
  const rand = prng(4242);
  return Array.from({ length: 4096 }, () => words(rand, logUniform(rand, 40, 1_200)));
})();

function text(rand: () => number, bytes: number): string {
  let out = '';
  while (out.length < bytes) out += (out ? '\n\n' : '') + pick(rand, PARAGRAPHS);
  return out.slice(0, bytes);
}

const OUTCOME_TABLE: [Outcome, number][] = [
  ['completed', 0.885],
  ['client_aborted', 0.04],
  ['upstream_error', 0.035],
  ['upstream_disconnected', 0.02],
  ['timeout', 0.008],
  ['upstream_unreachable', 0.007],
  ['interrupted', 0.005],
];

function outcomeFor(rand: () => number): Outcome {
  let x = rand();
  for (const [o, p] of OUTCOME_TABLE) {
    if (x < p) return o;
    x -= p;
  }
  return 'completed';
}

function events(api: ApiKind, answer: string, firstMs: number, durMs: number, complete: boolean): RawEvent[] {
  const pieces: string[] = [];
  const size = Math.max(20, Math.ceil(answer.length / 16));
  for (let i = 0; i < answer.length && pieces.length < 16; i += size) pieces.push(answer.slice(i, i + size));
  const t = (k: number, n: number) => Math.round(firstMs + ((durMs - firstMs) * k) / Math.max(1, n));
  const out: RawEvent[] = [];
  if (api === 'messages') {
    out.push({ t: firstMs, event: 'message_start', data: '{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"usage":{"input_tokens":1200,"output_tokens":1}}}' });
    pieces.forEach((p, k) => out.push({ t: t(k, pieces.length), event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }) }));
    if (complete) out.push({ t: durMs, event: 'message_stop', data: '{"type":"message_stop"}' });
  } else if (api === 'responses') {
    out.push({ t: firstMs, event: 'response.created', data: '{"type":"response.created","response":{"id":"resp_01","status":"in_progress"}}' });
    pieces.forEach((p, k) => out.push({ t: t(k, pieces.length), event: 'response.output_text.delta', data: JSON.stringify({ type: 'response.output_text.delta', item_id: 'msg_01', output_index: 0, content_index: 0, delta: p }) }));
    if (complete) out.push({ t: durMs, event: 'response.completed', data: '{"type":"response.completed","response":{"id":"resp_01","status":"completed"}}' });
  } else {
    pieces.forEach((p, k) => out.push({ t: t(k, pieces.length), event: null, data: JSON.stringify({ id: 'chatcmpl-01', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] }) }));
    if (complete) out.push({ t: durMs, event: null, data: '[DONE]' });
  }
  return out;
}

/** Record `i` of the scale database, deterministic in `i`. */
export function scaleRecord(i: number, startedAt: number): RequestRecord {
  const group = Math.floor(i / SESSION_LENGTH);
  const g = prng(group * 7919 + 17);
  let w = g() * CLIENT_WEIGHT;
  const client = CLIENTS.find((c) => (w -= c.weight) < 0) ?? CLIENTS[0]!;
  const sessionId = client.sessions ? `ses-${group.toString(36).padStart(6, '0')}-${Math.floor(g() * 1e9).toString(36)}` : null;
  const rand = prng(i * 2654435761 + 1);
  const model = pick(rand, client.models);
  const stream = client.api !== 'embeddings' && rand() < 0.92;
  let outcome = outcomeFor(rand);
  // An embedding has no stream to lose: it completes or fails with a status.
  if (client.api === 'embeddings' && outcome !== 'completed') outcome = 'upstream_error';
  const ttft = logUniform(rand, 180, 9_000);
  const duration = outcome === 'timeout' ? 300_000 : ttft + logUniform(rand, 200, 90_000);
  // The rare word leads the prompt: the stored prompt (what search reads of the request)
  // is its first PROMPT_CHARS characters, as the recorder keeps them.
  const prompt = (i % RARE_EVERY === 0 ? `the ${RARE_WORD} test in record ${i}: ` : '') + text(rand, logUniform(rand, 200, 3_000)) + `\n(request ${i})`;
  const shownPrompt = prompt.replace(/\s+/g, ' ').trim().slice(0, PROMPT_CHARS);
  const body = JSON.stringify({ model, stream, max_tokens: 32_000, messages: [{ role: 'user', content: prompt }] });
  const answered = outcome === 'completed' || outcome === 'client_aborted' || outcome === 'upstream_disconnected' || outcome === 'interrupted';
  const answer = answered && client.api !== 'embeddings' ? text(rand, logUniform(rand, 40, 1_200)) : '';
  const truncated = outcome === 'completed' && rand() < 0.03;
  const stopReason = outcome !== 'completed' ? null : truncated ? (client.api === 'messages' ? 'max_tokens' : 'length') : client.api === 'messages' ? pick(rand, ['end_turn', 'tool_use', 'tool_use']) : 'stop';
  const status = outcome === 'upstream_error' ? pick(rand, [429, 429, 529, 400, 500]) : outcome === 'upstream_unreachable' || outcome === 'timeout' ? null : 200;
  const complete = outcome === 'completed';
  const evs = stream && answered ? events(client.api, answer, ttft, duration, complete) : [];
  const input = logUniform(rand, 800, 180_000);
  const output = answer ? Math.ceil(answer.length / 4) : 0;
  const bytesOut = evs.reduce((a, e) => a + e.data.length + 8, 0) || (answer ? answer.length + 300 : 0);
  const id = newId(startedAt);
  const rec: RequestRecord = {
    id,
    startedAt,
    endedAt: startedAt + duration,
    client: client.label,
    clientVersion: client.label.split(' ').at(-1) ?? null,
    userAgent: client.userAgent,
    sessionId,
    sessionInferred: false,
    turnId: id,
    attempt: 1,
    turnFingerprint: null,
    conversation: { messages: 1, tailHash: `tail-${i.toString(36)}`, prompt: shownPrompt, firstPrompt: shownPrompt },
    credentialFingerprint: `fp-${(group % 7).toString(16).padStart(8, '0')}`,
    upstream: client.upstream,
    upstreamUrl: `https://api.${client.upstream}.com${client.path}`,
    api: client.api,
    method: 'POST',
    path: client.path,
    model,
    responseModel: status === 200 ? model : null,
    stream,
    httpStatus: status,
    outcome,
    phase: complete ? 'complete' : outcome === 'upstream_error' || outcome === 'upstream_unreachable' || outcome === 'timeout' ? 'before_response' : 'mid_stream',
    stopReason,
    truncated,
    error:
      outcome === 'upstream_error'
        ? status === 429
          ? { type: 'rate_limit_error', code: null, message: 'Number of request tokens has exceeded your per-minute rate limit', retryAfterS: pick(rand, [5, 20, 60]) }
          : status === 529
            ? { type: 'overloaded_error', code: null, message: 'Overloaded', retryAfterS: null }
            : { type: 'invalid_request_error', code: null, message: 'prompt is too long: 204816 tokens > 200000 maximum', retryAfterS: null }
        : null,
    errorMessage: outcome === 'upstream_unreachable' ? 'connect ECONNREFUSED' : outcome === 'timeout' ? 'no response headers within 300 s' : null,
    diagnosis: '',
    evidence: {
      closeSide: outcome === 'client_aborted' ? 'client' : outcome === 'interrupted' ? 'proxy' : 'upstream',
      errorCode: outcome === 'upstream_disconnected' ? 'ECONNRESET' : outcome === 'upstream_unreachable' ? 'ECONNREFUSED' : null,
      eventsSeen: evs.length,
      lastEvent: evs.at(-1)?.event ?? null,
      terminalEventSeen: complete && stream,
      usageSeen: complete,
      bytesToClient: bytesOut,
    },
    timings: { firstByteMs: status ? Math.round(ttft * 0.8) : null, ttftMs: answer ? ttft : null, lastEventMs: evs.length ? duration : null, durationMs: duration },
    usage: {
      inputTokens: complete ? input : null,
      outputTokens: answer ? output : null,
      reasoningTokens: complete && model.startsWith('gpt-5') ? Math.floor(output * 0.6) : null,
      cachedTokens: complete && client.sessions ? Math.floor(input * 0.85) : null,
      totalTokens: complete ? input + output : null,
      estimated: !complete && answer !== '',
    },
    eventCount: evs.length,
    badJsonEvents: 0,
    bytesIn: body.length,
    bytesOut,
    retryCount: rand() < 0.05 ? 1 : 0,
    requestHeaders: {
      'content-type': 'application/json',
      'user-agent': client.userAgent,
      ...(client.upstream === 'anthropic' ? { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-…a1b2' } : { authorization: 'Bearer sk-…c3d4' }),
      ...(sessionId ? { 'x-claude-code-session-id': sessionId } : {}),
      accept: stream ? 'text/event-stream' : 'application/json',
    },
    requestBody: { text: body, bytes: body.length, truncated: false },
    responseHeaders: status ? { 'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json', 'request-id': `req_${i.toString(36)}`, date: new Date(startedAt).toUTCString() } : {},
    responseText: answer,
    responseReasoning: '',
    toolCalls: stopReason === 'tool_use' ? [{ id: `toolu_${i.toString(36)}`, name: 'Read', arguments: '{"file_path":"/home/dev/project/src/index.ts"}' }] : [],
    responseBody: !stream && status ? { text: JSON.stringify({ id: 'resp', content: answer }), bytes: answer.length + 30, truncated: false } : null,
    events: evs,
    eventsTruncated: false,
  };
  rec.diagnosis = diagnose(rec);
  return rec;
}

// ---- building and timing ------------------------------------------------------------

export interface QueryTiming {
  id: string;
  label: string;
  /** the first call on a freshly opened connection */
  firstMs: number;
  /** the median over all calls */
  medianMs: number;
  maxMs: number;
  runs: number;
  /** rows returned (a page) or requests counted (a summary) */
  result: number;
}

export interface ScaleReport {
  kind: 'scale';
  version: 2;
  startedAt: string;
  records: number;
  /** seconds to open the database before building, migrations included */
  openS: number;
  /** seconds the background backlogs of an older database then took (0 for a new one) */
  backlogS: number;
  built: number;
  buildS: number;
  recordsPerS: number;
  dbBytes: number;
  bytesPerRecord: number;
  rareMatches: number;
  queries: QueryTiming[];
  targets: Target[];
  notes: string[];
}

function dbBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // no WAL right now
    }
  }
  return total;
}

/** The core, and its engine: the build writes through the store's own write path. */
function openCore(file: string, settingsFile: string): { core: CoreEngine; api: ApiModel } {
  const core = createEngine(resolveConfig({ dbPath: file, port: 0 }));
  return { core, api: coreOver(core, { settingsFile }).api };
}

export async function runScale(opts: { records: number; db?: string; quick: boolean }, log: (line: string) => void): Promise<ScaleReport> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-scale-'));
  const file = opts.db ?? path.join(tmp, 'scale.db');
  const settingsFile = path.join(tmp, 'settings.json');
  const notes: string[] = [];
  try {
    // ---- build (or top up) the database --------------------------------------------
    // Opening applies pending migrations: on a database kept from an older schema
    // (--db), this is the time a user's upgrade takes.
    const opening = performance.now();
    let { core } = openCore(file, settingsFile);
    const openS = (performance.now() - opening) / 1000;
    // What an older database still has to do after opening, on the writer between the
    // live writes (search-backlog.ts, segment-backlog.ts): waited for here, so the
    // queries below see every record indexed.
    const backlogStart = performance.now();
    // The writer thread does not hold the process open (a CLI command exits with it idle).
    const keepAlive = setInterval(() => undefined, 1_000);
    await Promise.all([core.store.searchBacklog(), core.store.segmentBacklog()]).finally(() => clearInterval(keepAlive));
    const backlogS = (performance.now() - backlogStart) / 1000;
    const existing = core.store.count({});
    const newest = existing > 0 ? (core.store.list({}, { limit: 1 })[0]?.startedAt ?? Date.now()) : Date.now() - SPAN_MS;
    const toBuild = Math.max(0, opts.records - existing);
    const step = SPAN_MS / Math.max(1, opts.records);
    if (existing > 0) notes.push(`reused ${existing.toLocaleString('en-US')} records already in ${file}`);
    const t0 = performance.now();
    let lastLog = t0;
    for (let done = 0; done < toBuild; ) {
      const n = Math.min(BATCH, toBuild - done);
      for (let k = 0; k < n; k++) {
        const i = existing + done + k;
        core.store.insert(scaleRecord(i, Math.round(newest + (done + k + 1) * step)));
      }
      done += n;
      // a generous bound: on a machine busy with other work one batch can take longer than the default
      if (!core.store.flush(120_000)) throw new Error(`the store could not write batch ${done / BATCH}: ${core.store.status().lastError ?? 'unknown error'}`);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`built ${(existing + done).toLocaleString('en-US')} of ${opts.records.toLocaleString('en-US')} records…`);
      }
    }
    const buildS = (performance.now() - t0) / 1000;
    await core.stop();

    // ---- time the dashboard's questions on a fresh connection ------------------------
    const opened = openCore(file, settingsFile);
    core = opened.core;
    const api = opened.api;
    const total = core.store.count({});
    const runs = opts.quick ? 2 : 5;
    const queries: QueryTiming[] = [];
    const time = async (id: string, label: string, call: () => unknown, size: (r: unknown) => number) => {
      const ms: number[] = [];
      let result = 0;
      for (let r = 0; r < runs; r++) {
        const a = performance.now();
        const out = await call();
        ms.push(performance.now() - a);
        result = size(out);
        // A query slower than this is not going to be used interactively: do not wait for more runs.
        if (ms[ms.length - 1]! > 20_000) break;
      }
      queries.push({ id, label, firstMs: ms[0]!, medianMs: median(ms), maxMs: Math.max(...ms), runs: ms.length, result });
    };
    const page = (r: unknown) => (r as RequestPage).records.length;
    const counted = (r: unknown) => (r as { requests: number }).requests;
    const bars = (r: unknown) => (r as { requests: number[] }).requests.reduce((a, v) => a + v, 0);
    log(`timing the dashboard's queries on ${total.toLocaleString('en-US')} records…`);
    await time('firstPage', 'timeline, first page (200 rows)', () => api['requests.list']({ filter: {}, limit: 200 }), page);
    await time('summary', 'summary strip', () => api['requests.stats']({ filter: {} }), counted);
    await time('search', `text search "${RARE_WORD}", first page`, () => api['requests.list']({ filter: { text: RARE_WORD }, limit: 200 }), page);
    await time('searchSummary', `text search "${RARE_WORD}", summary strip`, () => api['requests.stats']({ filter: { text: RARE_WORD } }), counted);
    await time('searchCommon', `text search "${COMMON_WORD}", first page`, () => api['requests.list']({ filter: { text: COMMON_WORD }, limit: 200 }), page);
    await time('searchCommonSummary', `text search "${COMMON_WORD}", summary strip`, () => api['requests.stats']({ filter: { text: COMMON_WORD } }), counted);
    await time('searchCommonHistogram', `text search "${COMMON_WORD}", histogram`, () => api['requests.histogram']({ filter: { text: COMMON_WORD }, buckets: 120 }), bars);
    await time('histogram', 'histogram (120 buckets)', () => api['requests.histogram']({ filter: {}, buckets: 120 }), bars);
    await time('outcomePage', 'timeline filtered to client_aborted, first page', () => api['requests.list']({ filter: { outcome: ['client_aborted'] }, limit: 200 }), page);
    await time('facets', 'filter choices (facets)', () => api['requests.facets']({}), (r) => (r as { models: string[] }).models.length);
    await time('status', 'status (requests today)', () => api['status.get']({}), () => 1);
    await time('sessions', 'sessions view (500)', () => api['sessions.list']({ filter: {}, limit: 500 }), (r) => (r as unknown[]).length);
    const rareMatches = queries.find((q) => q.id === 'searchSummary')?.result ?? 0;
    await core.stop();

    const q = (id: string) => queries.find((x) => x.id === id)?.medianMs ?? null;
    const targets = [
      target('firstPage', 'timeline first page', q('firstPage'), 'ms', '<', 50),
      target('summary', 'summary strip', q('summary'), 'ms', '<', 200),
      target('search', 'text search (first page)', q('search'), 'ms', '<', 300),
    ];
    const bytes = dbBytes(file);
    return {
      kind: 'scale',
      version: 2,
      startedAt: new Date().toISOString(),
      records: total,
      openS: Math.round(openS * 100) / 100,
      backlogS: Math.round(backlogS * 100) / 100,
      built: toBuild,
      buildS: Math.round(buildS * 10) / 10,
      recordsPerS: toBuild > 0 ? Math.round(toBuild / buildS) : 0,
      dbBytes: bytes,
      bytesPerRecord: total ? Math.round(bytes / total) : 0,
      rareMatches,
      queries,
      targets,
      notes,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function printScale(r: ScaleReport): string {
  const out: string[] = [];
  out.push(`Streamtap at scale — ${r.records.toLocaleString('en-US')} recorded requests, ${fmt(r.dbBytes / 1e9, 2)} GB (${fmt(r.bytesPerRecord / 1000, 1)} KB per record)`);
  out.push(`opened in ${fmt(r.openS, 2)} s (pending migrations applied); older records indexed and converted in the background in ${fmt(r.backlogS, 2)} s more`);
  if (r.built) out.push(`built ${r.built.toLocaleString('en-US')} records in ${r.buildS} s (${r.recordsPerS.toLocaleString('en-US')} per second, through the store)`);
  out.push('');
  out.push(
    table([
      ['query (through the dashboard API)', 'first', 'median', 'max', 'runs', 'rows'],
      ...r.queries.map((x) => [x.label, `${fmt(x.firstMs, 1)} ms`, `${fmt(x.medianMs, 1)} ms`, `${fmt(x.maxMs, 1)} ms`, String(x.runs), x.result.toLocaleString('en-US')]),
    ]),
  );
  out.push('');
  out.push('targets (median of the runs)');
  out.push(targetRows(r.targets));
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

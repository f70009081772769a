// The load generator: keep-alive connection pools and undici's dispatch API (response
// chunks as callbacks, no stream objects per request), so the client's own cost stays
// small beside what it measures. Every loop is bounded in count and in time.

import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';

export function createPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
}

export interface ExchangeSpec {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** what the response must end with to count as whole ([DONE], message_stop, "}") */
  endsWith: string;
  /** record TTFT and the gaps between chunks */
  timing?: boolean;
}

export interface ExchangeResult {
  ok: boolean;
  error: string | null;
  status: number;
  /** ms from sending to the first chunk carrying answer text; NaN without timing */
  ttftMs: number;
  /** ms between successive chunks after the first text chunk */
  gaps: number[];
  bytes: number;
  ms: number;
}

// The first chunk that carries answer text: a chat delta with non-empty content (the
// opening role chunk has "content":"").
const CONTENT = /"content":"[^"]/;

/** One request; resolves (never rejects) when the response has ended or failed. */
export function exchange(pool: Dispatcher, spec: ExchangeSpec): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let status = 0;
    let bytes = 0;
    let tail = '';
    let ttftMs = NaN;
    let last = 0;
    const gaps: number[] = [];
    const timing = spec.timing === true;
    const finish = (error: string | null) => {
      const whole = error === null && status === 200 && tail.trimEnd().endsWith(spec.endsWith);
      resolve({
        ok: whole,
        error: error ?? (status !== 200 ? `status ${status}` : whole ? null : `the response did not end with ${spec.endsWith}`),
        status,
        ttftMs,
        gaps,
        bytes,
        ms: performance.now() - t0,
      });
    };
    pool.dispatch(
      { path: spec.path, method: 'POST', headers: spec.headers, body: spec.body },
      {
        // Its presence tells undici this handler speaks the controller API.
        onRequestStart() {},
        onResponseStart(_c, s) {
          status = s;
        },
        onResponseData(_c, chunk) {
          bytes += chunk.length;
          tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 64))).slice(-64);
          if (!timing) return;
          const now = performance.now();
          if (Number.isNaN(ttftMs)) {
            if (CONTENT.test(chunk.toString('latin1'))) {
              ttftMs = now - t0;
              last = now;
            }
          } else {
            gaps.push(now - last);
            last = now;
          }
        },
        onResponseEnd() {
          finish(null);
        },
        onResponseError(_c, err) {
          finish(err.message || String(err));
        },
      },
    );
  });
}

/**
 * Runs `job` from `concurrency` workers until `count` jobs have started or `ms` have
 * passed; resolves when the last one has finished, with how many ran and the wall time.
 */
export async function runConcurrent(concurrency: number, limit: { count: number; ms: number }, job: (i: number) => Promise<void>): Promise<{ count: number; ms: number }> {
  let started = 0;
  const t0 = performance.now();
  const end = t0 + limit.ms;
  const worker = async () => {
    while (started < limit.count && performance.now() < end) await job(started++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { count: started, ms: performance.now() - t0 };
}

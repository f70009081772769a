// The live feed: record changes and status changes from the core, coalesced before
// they are pushed to a window (IPC) or a browser (SSE). A streaming request reports
// progress on every checkpoint; ten parallel streams would otherwise flood the
// transport and the UI with hundreds of messages a second. Here, per request only its
// latest summary is kept, and everything waiting goes out as ONE `records` event at
// most every `intervalMs` (HTTP Toolkit batches its event stream the same way).
//
// Plain Node, no transport: `push` is whatever the caller sends with.

import type { AppStatus, LiveEvent } from '../common/contract.js';
import type { EventTicks, RequestSummary } from '../common/record.js';
import { buildAppStatus } from './api-model.js';
import type { CoreEngine } from './create-core.js';
import type { RecordChange } from './recorder/recording.js';

export const DEFAULT_LIVE_INTERVAL_MS = 250;

export interface LiveFeedOptions {
  /** at most one push of records (and one of status) per interval; default 250 ms */
  intervalMs?: number;
  /** the runtime reported in pushed statuses; default 'headless' */
  runtime?: AppStatus['runtime'];
  /** builds the pushed status; default buildAppStatus(core, runtime) */
  getStatus?: () => AppStatus;
  /** the latest change a status pushed now reflects; default the latest this feed saw */
  seq?: () => number;
  /** called when `push` throws (the feed keeps running) */
  onError?: (err: unknown) => void;
}

type ChangeKind = RecordChange['kind'];

/**
 * Merges a new change for one request into the pending one. `finished` wins over
 * everything (its summary is final, a late checkpoint must not replace it); a
 * `started` is never lost (the UI adds the row on it), but carries the latest summary.
 */
export function mergeKind(pending: ChangeKind, next: ChangeKind): ChangeKind {
  if (pending === 'finished' || next === 'finished') return 'finished';
  if (pending === 'started' || next === 'started') return 'started';
  return 'progress';
}

/**
 * Joins a request's pending event arrivals with the next ones. They are contiguous
 * (each progress change carries the events after the previous one's); anything else
 * is dropped rather than guessed, and the page re-reads the record to close the gap.
 */
export function mergeTicks(pending: EventTicks | undefined, next: EventTicks | undefined): EventTicks | undefined {
  if (!pending) return next;
  if (!next) return pending;
  if (pending.from + pending.t.length !== next.from) return next;
  return { from: pending.from, t: pending.t.concat(next.t), name: pending.name.concat(next.name) };
}

/** What the feed subscribes to: the engine's two subscriptions (tests pass just these). */
export type LiveFeedSource = Pick<CoreEngine, 'onChange' | 'onStatus'>;

/** Subscribes to the core and pushes coalesced events; returns the cleanup. */
export function createLiveFeed(core: LiveFeedSource, push: (ev: LiveEvent) => void, opts: LiveFeedOptions = {}): () => void {
  const intervalMs = Math.max(0, opts.intervalMs ?? DEFAULT_LIVE_INTERVAL_MS);
  const getStatus = opts.getStatus ?? (() => buildAppStatus(core as CoreEngine, opts.runtime ?? 'headless'));
  // Map keeps first-arrival order, so rows appear in the order their requests arrived.
  const pending = new Map<string, { kind: ChangeKind; summary: RequestSummary; ticks?: EventTicks; seq: number }>();
  // The latest change this feed has seen: what a status pushed now reflects.
  let latestSeq = 0;
  let statusDirty = false;
  let timer: NodeJS.Timeout | null = null;
  let lastFlush = -Infinity;
  let closed = false;

  const send = (ev: LiveEvent) => {
    try {
      push(ev);
    } catch (err) {
      // A broken listener must not stop the feed, nor reach the recorder's stack.
      opts.onError?.(err);
    }
  };

  const flush = () => {
    timer = null;
    if (closed) return;
    lastFlush = Date.now();
    if (pending.size > 0) {
      const changes = [...pending.values()];
      pending.clear();
      send({ type: 'records', seq: changes.reduce((m, c) => Math.max(m, c.seq), 0), changes });
    }
    if (statusDirty) {
      statusDirty = false;
      let status: AppStatus | null = null;
      try {
        status = getStatus();
      } catch (err) {
        opts.onError?.(err);
      }
      if (status) send({ type: 'status', seq: opts.seq?.() ?? latestSeq, status });
    }
  };

  const schedule = () => {
    if (timer || closed) return;
    // Leading edge after a quiet period (an isolated change goes out on the next
    // tick, still batching a synchronous burst), then at most once per interval.
    const delay = Math.max(0, lastFlush + intervalMs - Date.now());
    timer = setTimeout(flush, delay);
    // A pending push must not keep a CLI process alive.
    timer.unref?.();
  };

  const unChange = core.onChange((change, seq) => {
    latestSeq = Math.max(latestSeq, seq);
    const prev = pending.get(change.summary.id);
    if (prev?.kind === 'finished' && change.kind !== 'finished') {
      // The final summary stays; nothing after it is newer in substance.
      prev.seq = seq;
    } else {
      const kind = prev ? mergeKind(prev.kind, change.kind) : change.kind;
      // A finished record is re-read whole by whoever shows it: its ticks are moot.
      const ticks = kind === 'finished' ? undefined : mergeTicks(prev?.ticks, change.kind === 'progress' ? change.ticks : undefined);
      pending.set(change.summary.id, ticks ? { kind, summary: change.summary, ticks, seq } : { kind, summary: change.summary, seq });
    }
    // The tray's "live streams" and "requests today" move with every start and end.
    if (change.kind !== 'progress') statusDirty = true;
    schedule();
  });
  const unStatus = core.onStatus(() => {
    statusDirty = true;
    schedule();
  });

  return () => {
    if (closed) return;
    closed = true;
    unChange();
    unStatus();
    if (timer) clearTimeout(timer);
    timer = null;
    pending.clear();
  };
}

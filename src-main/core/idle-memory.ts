// Memory given back once the proxy goes quiet. Under load V8 grows its young
// generation to its maximum (2 × --max-semi-space-size) and its old generation with
// every record in flight, and it keeps those pages after the load ends: measured, a
// recording Streamtap stayed at 260-350 MB for a minute after a burst of streams, while
// two full collections bring it to ~195-205 MB (the old generation compacted to about
// its live size, dead Buffers' memory released; the young generation stays committed).
// V8's own memory reducer shrinks the young generation too, but only 20-30 s or more
// after the load, when it does at all. Node sends V8 no idle notifications, so
// nothing else shrinks the heap of a tray app that sits idle between agent sessions.
// A full collection takes ~10-30 ms; it runs only when no proxied request is in flight
// and none started for QUIET_MS, so no stream waits for it.

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { releaseFreedMemory } from './native-memory.js';

/** How long the proxy must have had nothing in flight before its memory is collected. */
export const QUIET_MS = 3_000;

let gcFunction: (() => void) | null | undefined;

/** V8's full collection (a major GC), or null where it cannot be had.
 * `--expose-gc` set at run time applies to contexts created after it: a fresh vm
 * context has `gc` even when the process was started without the flag (the main
 * process of Electron, a global `streamtap` started through its shebang). */
export function fullGc(): (() => void) | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    const existing = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === 'function') {
      gcFunction = existing as () => void;
    } else {
      v8.setFlagsFromString('--expose-gc');
      const fromContext = runInNewContext('gc') as unknown;
      gcFunction = typeof fromContext === 'function' ? (fromContext as () => void) : null;
    }
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

/** Runs `collect` once activity has stopped for `quietMs`: `busy()` when work starts,
 * `idle()` when none is left. A timer that never keeps the process alive. */
export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  /** whether anything happened since the last collection (a quiet process is not
   * collected over and over) */
  private active = false;

  constructor(
    private readonly collect: () => void,
    private readonly quietMs = QUIET_MS,
  ) {}

  busy(): void {
    this.active = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  idle(): void {
    if (!this.active || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.active = false;
      try {
        this.collect();
      } catch {
        // giving memory back is best effort; it must never break the proxy
      }
    }, this.quietMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.active = false;
  }
}

/** The collector of this thread's heap (a no-op collector where no GC can be had).
 * Two collections, not one: the first runs the finalizers of the Buffers and sockets
 * that died with the load, whose memory (and the pages they pinned) only the second
 * can take back. Measured after a burst of streams: the main thread's old generation
 * went from 30-50 MB committed (15 MB live) to 15-17 MB, and off-heap memory from
 * 11-27 MB to 4 MB, where one collection left them. With `releaseNative`, the C
 * allocator's free pages of every thread then go back to the system too
 * (native-memory.ts): the process's main thread asks, once, for all its threads. */
export function heapCollector(opts: { quietMs?: number; releaseNative?: boolean } = {}): IdleCollector {
  return new IdleCollector(() => {
    const gc = fullGc();
    if (gc) {
      gc();
      gc();
    }
    if (opts.releaseNative) releaseFreedMemory();
  }, opts.quietMs ?? QUIET_MS);
}

// Memory given back once the proxy goes quiet. Under load V8 grows its young
// generation to its maximum (2 × --max-semi-space-size) and its old generation with
// every record in flight, and it keeps those pages after the load ends: measured, a
// recording Streamtap stayed at 260-350 MB for a minute after a burst of streams, while
// one full collection brought it to ~230 MB (the old generation released; the young
// generation stays committed). Node sends V8 no idle notifications, so
// nothing else shrinks the heap of a tray app that sits idle between agent sessions.
// A full collection takes ~10-30 ms; it runs only when no proxied request is in flight
// and none started for QUIET_MS, so no stream waits for it.

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

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

/** The collector of this thread's heap (a no-op collector where no GC can be had). */
export function heapCollector(quietMs = QUIET_MS): IdleCollector {
  return new IdleCollector(() => fullGc()?.(), quietMs);
}

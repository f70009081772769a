// One shared clock for everything that ticks (elapsed time of live rows, "stalled"
// markers): a single interval, running only while something on screen needs it.

import { useSyncExternalStore } from 'react';

const TICK_MS = 250;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(cb);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const noSubscribe = (): (() => void) => () => {};
const read = (): number => now;

/** The current time, re-rendering every 250 ms while `active`. */
export function useNow(active = true): number {
  return useSyncExternalStore(active ? subscribe : noSubscribe, read);
}

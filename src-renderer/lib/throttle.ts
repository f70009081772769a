// A trailing throttle for follow-up queries after live events (summary, facets, the
// open detail): the first call runs at once, calls during the wait collapse into one
// run at its end, so a burst of 1,000 finished requests costs two queries, not 1,000.

export interface Throttled {
  (): void;
  cancel(): void;
}

export interface Timers {
  set: typeof setTimeout;
  clear: typeof clearTimeout;
}

const GLOBAL_TIMERS: Timers = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };

export function throttle(fn: () => void, ms: number, timers: Timers = GLOBAL_TIMERS): Throttled {
  // Called unbound: a browser's setTimeout throws "Illegal invocation" when it is
  // called as a method of any object but the window (timers.set(…) would be one).
  const { set, clear } = timers;
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (): void => {
    timer = null;
    last = Date.now();
    fn();
  };
  const t = (): void => {
    if (timer !== null) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = set(run, wait);
  };
  t.cancel = (): void => {
    if (timer !== null) clear(timer);
    timer = null;
  };
  return t;
}

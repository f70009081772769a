// A trailing throttle for follow-up queries after live events (summary, facets, the
// open detail): the first call runs at once, calls during the wait collapse into one
// run at its end, so a burst of 1,000 finished requests costs two queries, not 1,000.

export interface Throttled {
  (): void;
  cancel(): void;
}

export function throttle(fn: () => void, ms: number, timers: { set: typeof setTimeout; clear: typeof clearTimeout } = { set: setTimeout, clear: clearTimeout }): Throttled {
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
    else timer = timers.set(run, wait);
  };
  t.cancel = (): void => {
    if (timer !== null) timers.clear(timer);
    timer = null;
  };
  return t;
}

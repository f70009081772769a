// What the store is given from outside, so that Node (the store's tests) can drive it:
// a frame scheduler and a place for view preferences. No DOM and no React here.

/** Where the view preferences are kept between runs (localStorage in the page). */
export interface Prefs {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

type StorageGlobal = { window?: { localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void } } };

/** localStorage, where the page has one; a page without it (or refusing it) just forgets.
 * Looked up through `window` so that Node (the store's tests) never touches its own. */
export const browserPrefs: Prefs = {
  get(key) {
    try {
      return (globalThis as StorageGlobal).window?.localStorage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      (globalThis as StorageGlobal).window?.localStorage?.setItem(key, value);
    } catch {
      // storage full or refused: the preference lasts until the page closes
    }
  },
};

export interface Scheduler {
  /** run `cb` at the next animation frame (or soon); returns a cancel function */
  frame(cb: () => void): () => void;
  now(): number;
  warn(message: string, value?: unknown): void;
}

type RafGlobal = { requestAnimationFrame?: (cb: () => void) => number; cancelAnimationFrame?: (id: number) => void };

/**
 * requestAnimationFrame, with a timeout as a backstop: a hidden window (minimised to the
 * tray, a background tab) gets no frames, and the queue must not grow without bound.
 */
export const browserScheduler: Scheduler = {
  frame(cb) {
    const g = globalThis as RafGlobal;
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      if (raf !== null) g.cancelAnimationFrame?.(raf);
      clearTimeout(timer);
      cb();
    };
    const raf = g.requestAnimationFrame ? g.requestAnimationFrame(once) : null;
    const timer = setTimeout(once, 250);
    return () => {
      done = true;
      if (raf !== null) g.cancelAnimationFrame?.(raf);
      clearTimeout(timer);
    };
  },
  now: () => Date.now(),
  warn: (m, v) => console.warn(m, v),
};

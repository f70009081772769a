import { describe, expect, it } from 'vitest';
import { throttle } from '../../src-renderer/lib/throttle.js';

// A browser's setTimeout throws "Illegal invocation" when called as a method of any
// object other than the window; Node's does not care, so the test stands in for it.
function browserLikeTimers() {
  const pending = new Map<number, () => void>();
  let next = 1;
  const set = function (this: unknown, cb: () => void): number {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    const id = next++;
    pending.set(id, cb);
    return id;
  } as unknown as typeof setTimeout;
  const clear = function (this: unknown, id: number): void {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    pending.delete(id);
  } as unknown as typeof clearTimeout;
  const fire = (): void => {
    const cbs = [...pending.values()];
    pending.clear();
    for (const cb of cbs) cb();
  };
  return { timers: { set, clear }, fire, pending };
}

describe('throttle', () => {
  it('runs at once, collapses a burst into one trailing run, and calls the timer functions unbound', () => {
    const { timers, fire, pending } = browserLikeTimers();
    let runs = 0;
    const t = throttle(() => runs++, 1_000, timers);
    t();
    expect(runs).toBe(1);
    for (let i = 0; i < 50; i++) t();
    expect(runs).toBe(1);
    expect(pending.size).toBe(1);
    fire();
    expect(runs).toBe(2);
  });

  it('cancel drops the trailing run', () => {
    const { timers, fire, pending } = browserLikeTimers();
    let runs = 0;
    const t = throttle(() => runs++, 1_000, timers);
    t();
    t();
    t.cancel();
    expect(pending.size).toBe(0);
    fire();
    expect(runs).toBe(1);
  });
});

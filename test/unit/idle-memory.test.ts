import { afterEach, describe, expect, it, vi } from 'vitest';
import { fullGc, heapCollector, IdleCollector } from '../../src-main/core/idle-memory.js';

describe('IdleCollector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once the work has stopped for the quiet time, and only once', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const c = new IdleCollector(collect, 1_000);
    c.busy();
    c.idle();
    vi.advanceTimersByTime(999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    // quiet since: nothing to give back again
    c.idle();
    vi.advanceTimersByTime(5_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('waits again when work starts before the quiet time is over', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const c = new IdleCollector(collect, 1_000);
    c.busy();
    c.idle();
    vi.advanceTimersByTime(600);
    c.busy();
    vi.advanceTimersByTime(1_000);
    expect(collect).not.toHaveBeenCalled();
    c.idle();
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('never collects a process that was never busy, nor after stop()', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const c = new IdleCollector(collect, 1_000);
    c.idle();
    vi.advanceTimersByTime(2_000);
    c.busy();
    c.idle();
    c.stop();
    vi.advanceTimersByTime(2_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it('keeps going when a collection throws', () => {
    vi.useFakeTimers();
    const c = new IdleCollector(() => {
      throw new Error('no');
    }, 10);
    c.busy();
    c.idle();
    expect(() => vi.advanceTimersByTime(10)).not.toThrow();
  });
});

describe('fullGc', () => {
  it('gives a collection even when the process was started without --expose-gc', () => {
    const gc = fullGc();
    expect(typeof gc).toBe('function');
    let garbage: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    const before = process.memoryUsage().heapUsed;
    garbage = null;
    gc!();
    expect(garbage).toBeNull();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before);
  });
});

describe('heapCollector', () => {
  it("hands the allocator's free pages back after its collections only when asked to (the main thread's, once for all threads)", async () => {
    vi.useFakeTimers();
    const native = await import('../../src-main/core/native-memory.js');
    const release = vi.spyOn(native, 'releaseFreedMemory').mockReturnValue(true);
    try {
      const main = heapCollector({ quietMs: 100, releaseNative: true });
      const worker = heapCollector({ quietMs: 100 });
      worker.busy();
      worker.idle();
      vi.advanceTimersByTime(100);
      expect(release).not.toHaveBeenCalled();
      main.busy();
      main.idle();
      vi.advanceTimersByTime(99);
      expect(release).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(release).toHaveBeenCalledTimes(1);
    } finally {
      release.mockRestore();
    }
  });
});

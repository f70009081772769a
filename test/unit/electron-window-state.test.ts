// The remembered window size and position: what is read back is validated, a position
// off every display is dropped (a monitor was unplugged), and the file is written whole.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isOnSomeDisplay, loadWindowState, parseWindowState, saveWindowState, trackWindowState, type Rect } from '../../src-main/electron/window-state.js';

const LAPTOP: Rect = { x: 0, y: 0, width: 1440, height: 875 };
const RIGHT_MONITOR: Rect = { x: 1440, y: -200, width: 2560, height: 1415 };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-state-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseWindowState', () => {
  it('keeps a valid state on a display', () => {
    expect(parseWindowState({ x: 100, y: 80, width: 1200, height: 800, maximized: true }, [LAPTOP])).toEqual({
      x: 100,
      y: 80,
      width: 1200,
      height: 800,
      maximized: true,
    });
  });

  it('keeps a position on a second display, including negative coordinates', () => {
    expect(parseWindowState({ x: 2000, y: -150, width: 1200, height: 800 }, [LAPTOP, RIGHT_MONITOR])).toMatchObject({ x: 2000, y: -150 });
  });

  it('drops a position off every display but keeps the size', () => {
    const state = parseWindowState({ x: 2000, y: 100, width: 1200, height: 800, maximized: false }, [LAPTOP]);
    expect(state).toEqual({ width: 1200, height: 800, maximized: false });
  });

  it('drops a position whose title bar is above the top of the screen', () => {
    expect(parseWindowState({ x: 100, y: -300, width: 1200, height: 800 }, [LAPTOP])).toEqual({ width: 1200, height: 800, maximized: false });
  });

  it('rejects unusable sizes and non-objects', () => {
    const bad: unknown[] = [
      null,
      'big',
      [1200, 800],
      {},
      { width: '1200', height: 800 },
      { width: 1200.5, height: 800 },
      { width: Number.NaN, height: 800 },
      { width: 100, height: 80 },
      { width: 100_000, height: 800 },
      { width: -1200, height: 800 },
    ];
    for (const value of bad) expect(parseWindowState(value, [LAPTOP]), JSON.stringify(value)).toBeNull();
  });

  it('ignores a non-boolean maximized and non-integer coordinates', () => {
    expect(parseWindowState({ x: '10', y: 20, width: 1200, height: 800, maximized: 'yes' }, [LAPTOP])).toEqual({
      width: 1200,
      height: 800,
      maximized: false,
    });
  });
});

describe('isOnSomeDisplay', () => {
  it('needs a grabbable part of the title bar on one display', () => {
    expect(isOnSomeDisplay({ x: 1400, y: 10, width: 800, height: 600 }, [LAPTOP])).toBe(false); // 40 px visible
    expect(isOnSomeDisplay({ x: 1300, y: 10, width: 800, height: 600 }, [LAPTOP])).toBe(true); // 140 px visible
    expect(isOnSomeDisplay({ x: 10, y: 10, width: 800, height: 600 }, [])).toBe(false);
  });
});

describe('load and save', () => {
  it('round-trips through the file', () => {
    const file = path.join(dir, 'sub', 'window-state.json');
    saveWindowState(file, { x: 5, y: 6, width: 1000, height: 700, maximized: false });
    expect(loadWindowState(file, [LAPTOP])).toEqual({ x: 5, y: 6, width: 1000, height: 700, maximized: false });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['window-state.json']);
  });

  it('gives null for a missing or corrupt file', () => {
    expect(loadWindowState(path.join(dir, 'missing.json'), [LAPTOP])).toBeNull();
    const file = path.join(dir, 'window-state.json');
    fs.writeFileSync(file, '{"width": 1000, "hei');
    expect(loadWindowState(file, [LAPTOP])).toBeNull();
  });
});

describe('trackWindowState', () => {
  it('saves after moves settle and at once on close', () => {
    vi.useFakeTimers();
    try {
      const listeners = new Map<string, () => void>();
      let bounds = { x: 1, y: 2, width: 900, height: 700 };
      const win = {
        getNormalBounds: () => bounds,
        isMaximized: () => false,
        isDestroyed: () => false,
        on: (e: string, l: () => void) => listeners.set(e, l),
        removeListener: (e: string) => listeners.delete(e),
      };
      const file = path.join(dir, 'window-state.json');
      const stop = trackWindowState(win, file, { debounceMs: 300 });
      bounds = { x: 50, y: 60, width: 900, height: 700 };
      listeners.get('move')!();
      expect(fs.existsSync(file)).toBe(false);
      vi.advanceTimersByTime(300);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ x: 50, y: 60 });
      bounds = { x: 70, y: 80, width: 1000, height: 750 };
      listeners.get('close')!();
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ x: 70, y: 80, width: 1000, height: 750 });
      stop();
      expect(listeners.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

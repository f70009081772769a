// Remembers the window's size and position between launches in a small JSON file in
// the data folder. Everything read back is validated: the file may be hand-edited or
// from an older version, and a monitor may have been unplugged since, so a position
// that is off every display is dropped (the window then opens centred) rather than
// opening a window nobody can see.

import fs from 'node:fs';
import path from 'node:path';

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_SIZE = { width: 1280, height: 820 } as const;
export const MIN_WINDOW_SIZE = { width: 720, height: 480 } as const;
const MAX_SIDE = 16_384;
/** how much of the title bar must be on a display for a position to be kept */
const MIN_VISIBLE_WIDTH = 100;
const TITLE_BAR_HEIGHT = 32;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  width: number;
  height: number;
  /** absent when the saved position was unusable: let the OS centre the window */
  x?: number;
  y?: number;
  maximized: boolean;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** True when enough of the window's title bar lies on one display's work area to grab it. */
export function isOnSomeDisplay(bounds: Rect, workAreas: readonly Rect[]): boolean {
  return workAreas.some((d) => {
    const overlap = Math.min(bounds.x + bounds.width, d.x + d.width) - Math.max(bounds.x, d.x);
    const needed = Math.min(MIN_VISIBLE_WIDTH, bounds.width);
    return overlap >= needed && bounds.y >= d.y && bounds.y + TITLE_BAR_HEIGHT <= d.y + d.height;
  });
}

/**
 * Validates a parsed state file against the current displays (their work areas, from
 * screen.getAllDisplays()). Returns null when the size is unusable; drops only the
 * position when it is off every display.
 */
export function parseWindowState(value: unknown, workAreas: readonly Rect[]): WindowState | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const { width, height } = v;
  if (!isInt(width) || !isInt(height)) return null;
  if (width < MIN_WINDOW_SIZE.width || height < MIN_WINDOW_SIZE.height || width > MAX_SIDE || height > MAX_SIDE) return null;
  const state: WindowState = { width, height, maximized: v['maximized'] === true };
  const { x, y } = v;
  if (isInt(x) && isInt(y) && Math.abs(x) <= 10 * MAX_SIDE && Math.abs(y) <= 10 * MAX_SIDE && isOnSomeDisplay({ x, y, width, height }, workAreas)) {
    state.x = x;
    state.y = y;
  }
  return state;
}

/** Reads the state file; a missing, unreadable or invalid file gives null (defaults). */
export function loadWindowState(file: string, workAreas: readonly Rect[]): WindowState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return parseWindowState(JSON.parse(text), workAreas);
  } catch {
    return null;
  }
}

/** Writes atomically (temp file + rename): a crash mid-write must not leave half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state) + '\n');
  fs.renameSync(tmp, file);
}

/** The parts of a BrowserWindow that tracking reads. */
export interface TrackedWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isDestroyed(): boolean;
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
  removeListener(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
}

/**
 * Saves the window's normal (un-maximized) bounds and maximized flag: shortly after
 * the user stops moving or resizing it, and at once when it closes or hides.
 * Returns the cleanup (which saves a pending change).
 */
export function trackWindowState(
  win: TrackedWindow,
  file: string,
  opts: { debounceMs?: number; onError?: (err: unknown) => void } = {},
): () => void {
  const debounceMs = opts.debounceMs ?? 500;
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    try {
      saveWindowState(file, { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() });
    } catch (err) {
      // Losing the window position is not worth interrupting the user for.
      opts.onError?.(err);
    }
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, debounceMs);
  };
  const events = ['resize', 'move', 'maximize', 'unmaximize'] as const;
  for (const e of events) win.on(e, later);
  win.on('close', save);
  return () => {
    for (const e of events) win.removeListener(e, later);
    win.removeListener('close', save);
    if (timer) save();
  };
}

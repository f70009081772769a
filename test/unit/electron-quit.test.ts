// Quitting the desktop app cleanly: the store's last write is bounded below the quit
// timer (it blocks the main thread, so the timer could not cut it short), the bound
// reaches the store through the core host, and on Windows a session end writes the
// queue synchronously from a hidden window's 'session-end'.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src-main/core/config.js';
import { coreOver, createCore, createEngine, type Core, type CoreEngine } from '../../src-main/core/create-core.js';
import { openStore } from '../../src-main/core/db/store.js';
import { createCoreHost } from '../../src-main/electron/core-host.js';
import { QUIT_DRAIN_MS, QUIT_TIMEOUT_MS, watchSessionEnd } from '../../src-main/electron/lifecycle.js';
import { makeRecord } from '../fixtures/store-records.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-quit-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Another connection holding the write lock: the store's writer waits on it. */
function holdWriteLock(file: string): () => void {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  return () => {
    other.exec('ROLLBACK');
    other.close();
  };
}

describe('the store on quit', () => {
  it('close({ timeoutMs }) returns within the bound while the writer is stuck on a lock', () => {
    const file = path.join(dir, 'a.db');
    // A writer that would wait 30 s for the lock, with writes queued.
    const store = openStore({ path: file, busyTimeoutMs: 30_000, flushIntervalMs: 60_000 });
    const release = holdWriteLock(file);
    try {
      store.insert(makeRecord());
      const started = Date.now();
      store.close({ timeoutMs: 300 });
      const took = Date.now() - started;
      // unbounded, this waits 10 s for the batch and 5 s for the writer to close
      expect(took).toBeLessThan(2_000);
      expect(took).toBeGreaterThanOrEqual(250);
    } finally {
      release();
    }
  });

  it('the quit drain ends well inside the quit timer', () => {
    expect(QUIT_DRAIN_MS).toBeLessThanOrEqual(QUIT_TIMEOUT_MS - 1_000);
  });

  it('the core host passes the bound to the core it stops', async () => {
    const stops: unknown[] = [];
    const host = createCoreHost(resolveConfig({ dbPath: path.join(dir, 'b.db'), port: 0 }), {
      settingsFile: path.join(dir, 'settings.json'),
      push: () => {},
      exportRun: async () => ({ status: 'canceled' }),
      createCore: (config, options) => {
        const core = createCore(config, options);
        const stop = core.stop.bind(core);
        return { ...core, stop: (opts) => (stops.push(opts), stop(opts)) } as Core;
      },
    });
    await host.start();
    await host.stop({ flushTimeoutMs: QUIT_DRAIN_MS });
    expect(stops).toEqual([{ flushTimeoutMs: QUIT_DRAIN_MS }]);
  });

  it('flushNow writes the queue synchronously (what a Windows session end needs)', async () => {
    const dbPath = path.join(dir, 'c.db');
    // The engine, to queue a write without a request in flight.
    let engine: CoreEngine | null = null;
    const host = createCoreHost(resolveConfig({ dbPath, port: 0 }), {
      settingsFile: path.join(dir, 'settings.json'),
      push: () => {},
      exportRun: async () => ({ status: 'canceled' }),
      createCore: (config, options) => coreOver((engine = createEngine(config, options)), options),
    });
    await host.start();
    try {
      const rec = makeRecord();
      engine!.store.insert(rec);
      expect(host.flushNow(QUIT_DRAIN_MS)).toBe(true);
      // read through another connection: the row is on disk, not only queued
      const other = new Database(dbPath, { readonly: true });
      try {
        expect(other.prepare('SELECT id FROM requests WHERE id = ?').get(rec.id)).toEqual({ id: rec.id });
      } finally {
        other.close();
      }
    } finally {
      await host.stop();
    }
  });
});

describe('Windows session end', () => {
  class FakeWindow extends EventEmitter {
    destroy = vi.fn();
  }

  it('on Windows, a hidden window hears session-end and flushes from its handler', () => {
    const win = new FakeWindow();
    const onSessionEnd = vi.fn();
    const createWindow = vi.fn(() => win);
    const cleanup = watchSessionEnd({ platform: 'win32', createWindow, onSessionEnd });
    expect(createWindow).toHaveBeenCalledTimes(1);
    win.emit('session-end');
    expect(onSessionEnd).toHaveBeenCalledTimes(1);
    cleanup();
    expect(win.destroy).toHaveBeenCalled();
  });

  it('elsewhere creates no window (before-quit runs on logout and on SIGTERM there)', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const createWindow = vi.fn(() => new FakeWindow());
      watchSessionEnd({ platform, createWindow, onSessionEnd: () => {} })();
      expect(createWindow).not.toHaveBeenCalled();
    }
  });
});

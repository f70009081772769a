// Retention through the running core: a size limit set on the fly deletes the oldest
// records, the file shrinks, and the status (what the tray and Settings show) says so.

import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreStatus } from '../../src-main/core/create-core.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const bytesOnDisk = (file: string) => fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

describe('retention by size in the running core', () => {
  it('deletes the oldest records once the database passes its limit, and the status shows the smaller file', async () => {
    h = await startHarness();
    const n = 12;
    for (let i = 0; i < n; i++) {
      // ~300 KB of prompt each, different per request
      const content = `request ${i}: ` + `word${i} `.repeat(40_000);
      await h.openai().chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content }] });
    }
    const recs = await h.waitForFinished(n);
    h.core.flushNow(10_000);
    const before = h.core.api['status.get']({});
    expect(before.dbBytes).toBe(bytesOnDisk(h.dbPath));
    expect(before.dbBytes).toBeGreaterThan(3_000_000);

    const statuses: CoreStatus[] = [];
    h.engine.onStatus((s) => statuses.push(s));
    await h.core.api['settings.set']({ ...(await h.core.api['settings.get']({})), retentionMaxMiB: 1 });
    // applying the settings started a run; this one runs after it and finds nothing left to do
    const again = await h.engine.applyRetention();
    expect(again.deleted).toBe(0);
    expect(statuses.length).toBeGreaterThan(0);

    const after = h.core.api['status.get']({});
    expect(after.dbBytes).toBe(bytesOnDisk(h.dbPath));
    expect(after.dbBytes).toBeLessThan(1024 * 1024);
    const kept = (await h.core.api['requests.list']({ filter: {}, limit: 100 })).records.map((r) => r.id);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(n);
    // the newest ones, in the order they were recorded
    expect(kept.reverse()).toEqual(recs.slice(n - kept.length).map((r) => r.id));
  });
});

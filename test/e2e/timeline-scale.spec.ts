// The timeline stays usable with 100,000 recorded requests: the summary counts them
// all, the list renders only what is on screen (virtualized), and scrolling pages
// through the store with keyset queries.

import path from 'node:path';
import { expect, test } from './fixtures.js';
import { openStore } from '../../src-main/core/db/store.js';
import { makeRecord } from '../fixtures/store-records.js';

const TOTAL = 100_000;

test('100,000 rows: counted in full, rendered virtually, paged while scrolling', async ({ page, streamtap }) => {
  test.slow();
  // Seed through a second connection while the server runs (WAL: it reads alongside).
  // Not a recorder, so it does not take the recorder's lock the server holds.
  const store = openStore({ path: path.join(streamtap.dataDir, 't.db'), maxQueue: 10_000, lock: false });
  const now = Date.now();
  for (let i = 0; i < TOTAL; i++) {
    const startedAt = now - (TOTAL - i) * 1_000;
    store.insert(
      makeRecord({
        id: `seed-${String(i).padStart(6, '0')}`,
        startedAt,
        endedAt: startedAt + 900,
        outcome: i % 50 === 0 ? 'client_aborted' : 'completed',
        phase: i % 50 === 0 ? 'mid_stream' : 'complete',
        model: `model-${i % 7}`,
        httpStatus: 200,
        diagnosis: 'seeded',
        timings: { firstByteMs: 100, ttftMs: 300, lastEventMs: 800, durationMs: 900 },
        usage: { inputTokens: 10, outputTokens: 20, reasoningTokens: null, cachedTokens: null, totalTokens: 30, estimated: false },
      }),
    );
    if (i % 5_000 === 4_999) store.flush();
  }
  store.close();

  await page.goto(streamtap.dashboardUrl);
  const body = page.getByTestId('timeline-body');
  await expect(page.getByText('100,000', { exact: true }).first()).toBeVisible({ timeout: 20_000 });
  const rows = body.locator('[role="row"]');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeLessThan(120);

  // Scroll to the end of what is loaded, again and again: more pages arrive.
  const maxIndex = async () => Math.max(...(await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-rowindex'))))));
  for (let i = 0; i < 12 && (await maxIndex()) < 2_000; i++) {
    await body.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(250);
  }
  expect(await maxIndex()).toBeGreaterThan(2_000);
  expect(await rows.count()).toBeLessThan(120);

  // Filters still answer from the whole set.
  await page.getByRole('button', { name: /Outcome/ }).click();
  await page.getByRole('option', { name: /client aborted/i }).or(page.getByRole('checkbox', { name: /client aborted/i })).first().click();
  await page.keyboard.press('Escape');
  await expect(page.getByText('2,000', { exact: true }).first()).toBeVisible({ timeout: 10_000 });
});

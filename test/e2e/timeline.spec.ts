// Items 5 and 7 of issue 10: counts and words that agree (one name per outcome, the
// cut-off count equal to its chips, client names in one style, plurals, a notice that
// goes away), and a timeline that brings the important rows up (sortable columns, the
// error's first words in a failed row, dates when rows span days, a chart of requests
// and failures over time).

import path from 'node:path';
import { openStore } from '../../src-main/core/db/store.js';
import { makeCompletedRecord, makeRecord } from '../fixtures/store-records.js';
import { drain, expect, readUntil, screenshot, test, UA } from './fixtures.js';

test('the summary, chips, filter and badges count and name every outcome the same way', async ({ page, streamtap }) => {
  await drain(await streamtap.chat({ scenario: { chunks: 3 } }));
  await drain(await streamtap.responses({ headers: { 'user-agent': UA.codex }, scenario: { chunks: 3 } }));
  await drain(await streamtap.chat({ headers: { 'user-agent': UA.aider }, scenario: { chunks: 4, finishByLength: true } }));
  await drain(await streamtap.chat({ scenario: { status: 429 } }));
  await drain(await streamtap.chat({ scenario: { chunks: 10, chunkDelayMs: 20, disconnectAfterEvents: 4 } })).catch(() => '');
  const ac = new AbortController();
  const aborted = await streamtap.chat({ scenario: { chunks: 40, chunkDelayMs: 100 }, signal: ac.signal });
  await readUntil(aborted, (t) => t.includes('data:'));
  ac.abort();
  await page.goto(streamtap.dashboardUrl);
  await expect(page.locator('.trow')).toHaveCount(6);
  await expect(page.locator('.trow[data-outcome="in_progress"]')).toHaveCount(0);

  // "cut off or failed" counts truncated too, and equals the sum of its chips.
  const summary = page.getByTestId('summary');
  await expect(page.getByTestId('cut-off-count')).toHaveText('4');
  const chips = summary.locator('.chip-btn');
  await expect(chips).toHaveCount(4);
  const counts = (await chips.locator('.badge-count').allTextContents()).map(Number);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(4);

  // One name per outcome: the chip, the row's badge and the filter option agree.
  const chipNames = await chips.locator('.badge-label').allTextContents();
  const rowNames = new Set(await page.locator('.trow .badge-label').allTextContents());
  for (const name of chipNames) expect(rowNames.has(name), name).toBe(true);
  await page.getByTestId('filter-outcome').getByRole('button').click();
  const optionNames = await page.getByRole('option').locator('.badge-label').allTextContents();
  for (const name of rowNames) expect(optionNames, name).toContain(name);
  await page.keyboard.press('Escape');
  await expect(page.locator('.trow[data-outcome="upstream_error"] .badge')).toHaveText(/upstream error\s*429/);

  // Client names in one style.
  await expect(page.locator('.trow .client-name', { hasText: 'Codex 0.46.0' })).toHaveCount(1);
  await expect(page.locator('.trow .client-name', { hasText: 'codex_exec' })).toHaveCount(0);

  // Plurals: a one-request session says "1 request".
  await page.getByRole('button', { name: 'Sessions' }).click();
  await expect(page.locator('.session').first()).toBeVisible();
  await expect(page.getByTestId('sessions')).not.toContainText(/\b1 requests\b/);
  await page.getByRole('button', { name: 'Timeline' }).click();

  // The export notice goes away by itself.
  await Promise.all([page.waitForEvent('download'), page.getByTestId('export-jsonl').click()]);
  await expect(page.getByTestId('export-job')).toContainText(/Exported 6 records|Download started/);
  await expect(page.getByTestId('export-job')).toHaveCount(0, { timeout: 15_000 });
});

test('columns sort, failed rows say why, rows from other days carry their date, and a chart shows failures over time', async ({ page, streamtap }, testInfo) => {
  // Seeded through a second connection (WAL): known durations, TTFTs and tokens, and
  // one request from yesterday.
  // Not a recorder, so it does not take the recorder's lock the server holds.
  const store = openStore({ path: path.join(streamtap.dataDir, 't.db'), maxQueue: 1_000, lock: false });
  const now = Date.now();
  const durations = [900, 4_200, 300, 12_500, 1_700];
  durations.forEach((d, i) => {
    store.insert(
      makeCompletedRecord({
        id: `s-${i}`,
        startedAt: now - (10 - i) * 60_000,
        model: `model-${i}`,
        timings: { firstByteMs: 50, ttftMs: 100 * (i + 1), lastEventMs: d - 10, durationMs: d },
        usage: { inputTokens: 10, outputTokens: [50, 7, 900, 120, 33][i]!, reasoningTokens: null, cachedTokens: null, totalTokens: null, estimated: false },
        truncated: false,
      }),
    );
  });
  store.insert(
    makeRecord({
      id: 's-fail',
      startedAt: now - 5 * 60_000,
      outcome: 'upstream_error',
      httpStatus: 429,
      error: { type: 'rate_limit_error', code: null, message: 'Rate limit reached for requests per minute', retryAfterS: 20 },
      timings: { firstByteMs: 40, ttftMs: null, lastEventMs: null, durationMs: 45 },
    }),
  );
  store.insert(makeCompletedRecord({ id: 's-old', startedAt: now - 30 * 3_600_000, model: 'yesterday-model' }));
  store.flush();
  store.close();

  await page.goto(streamtap.dashboardUrl);
  await expect(page.locator('.trow')).toHaveCount(7);

  // The date shows once rows span days (every row, so the column reads evenly).
  const month = new Date(now - 30 * 3_600_000).toLocaleString('en-US', { month: 'short' });
  await expect(page.locator('.trow[data-id="s-old"] .col-time')).toContainText(month);
  await expect(page.locator('.trow[data-id="s-0"] .col-time')).toContainText(new Date(now).toLocaleString('en-US', { month: 'short' }));

  // A failed row: its status in the badge, the first words of the error beside it.
  const failed = page.locator('.trow[data-id="s-fail"]');
  await expect(failed.locator('.badge-status')).toHaveText('429');
  await expect(failed.locator('.col-err')).toContainText('rate_limit_error: Rate limit reached');

  // Sorting: the longest first, then the shortest; TTFT; output tokens.
  const firstId = () => page.locator('.trow').first().getAttribute('data-id');
  await page.getByTestId('sort-duration').click();
  await expect.poll(firstId).toBe('s-3');
  await screenshot(page, testInfo, 'sorted-by-duration');
  await expect(page.locator('.thead .col-dur')).toHaveAttribute('aria-sort', 'descending');
  await page.getByTestId('sort-duration').click();
  await expect.poll(firstId).toBe('s-fail');
  await page.getByTestId('sort-ttft').click();
  await expect.poll(firstId).toBe('s-4');
  await page.getByTestId('sort-out').click();
  await expect.poll(firstId).toBe('s-2');
  // The keyboard follows the order on screen.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('j');
  await expect(page.locator('.trow').first()).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('sort-time').click();
  await expect.poll(firstId).toBe('s-fail'); // newest first again

  // The chart above the table counts the whole filter, failures apart.
  const chart = page.getByTestId('activity');
  await expect(chart.locator('svg')).toHaveAttribute('aria-label', /7 requests, 1 cut off or failed/);
  await expect(chart.locator('.act-fail')).toHaveCount(1);
});

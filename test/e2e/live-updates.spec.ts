// Item 1 of issue 10: live updating survives a burst. Requests that start and settle
// faster than the follow-up queries' throttle must still end with every view in step —
// the summary, the live count, the rows — and without a script error (the shared
// fixture fails any test whose page logs one).

import { drain, expect, test } from './fixtures.js';

test('a burst of quick requests leaves the summary, the live count and the rows in step', async ({ page, streamtap }) => {
  await page.goto(streamtap.dashboardUrl);
  await expect(page.getByTestId('live-count')).toHaveText(/0 live/);
  const BURST = 14;
  // Staggered a little so some settle while others start: the throttled refreshes then
  // fall inside each other's wait, which is where the trailing run matters.
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < BURST; i++) {
    jobs.push(streamtap.chat({ prompt: `burst ${i}`, scenario: { chunks: 4, chunkDelayMs: 40 + (i % 5) * 60 } }).then(drain));
    await new Promise((r) => setTimeout(r, 60));
  }
  await Promise.all(jobs);
  await expect(page.locator('.trow')).toHaveCount(BURST);
  await expect(page.locator('.trow[data-outcome="in_progress"]')).toHaveCount(0);
  await expect(page.getByTestId('summary')).toContainText(`${BURST} requests`);
  await expect(page.getByTestId('live-count')).toHaveText(/0 live/);
  await expect(page.getByTestId('summary').locator('.kind-in_progress')).toHaveCount(0);
});

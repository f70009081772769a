// Item 2 of issue 10: the live detail draws each event as it arrives, and a stall says
// so in the headline and on the chart; an interrupted record (Streamtap killed mid-
// stream) still has its timing chart. Item 8's chart parts too: hovering an event
// shows its time and name, a click opens it in the Raw tab, axis labels never repeat.

import type { Page } from '@playwright/test';
import { expect, readUntil, screenshot, test } from './fixtures.js';

test.use({ allowedConsoleErrors: [/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|status of 503/] });

const eventsDrawn = async (page: Page) => Number(await page.getByTestId('timing-chart').getAttribute('data-events'));

test('a live stream is drawn event by event; when it stalls the headline and the chart say so', async ({ page, streamtap }, testInfo) => {
  await page.goto(streamtap.dashboardUrl);
  const ac = new AbortController();
  const res = await streamtap.messages({ prompt: 'stream then stall', scenario: { chunks: 80, chunkDelayMs: 200, stallAfterEvents: 40, stallMs: 60_000 }, signal: ac.signal });
  const body = readUntil(res, () => false, 40_000).catch(() => '');
  try {
    const row = page.locator('.trow[data-outcome="in_progress"]');
    await expect(row).toHaveCount(1);
    await row.click();
    await expect(page.getByTestId('detail')).toBeVisible();
    // Events appear while it streams, more and more of them, without reopening.
    await expect.poll(() => eventsDrawn(page)).toBeGreaterThan(3);
    const early = await eventsDrawn(page);
    await expect.poll(() => eventsDrawn(page)).toBeGreaterThan(early + 5);
    await expect(page.getByTestId('diagnosis')).toContainText(/Streaming: \d+ events/);
    await expect(page.locator('.timing-legend')).toContainText(/\d+ events/);

    // The provider goes quiet: after 10 s the detail calls it a stall.
    await expect(page.getByTestId('diagnosis')).toHaveAttribute('data-stalled', 'true', { timeout: 25_000 });
    await expect(page.getByTestId('diagnosis')).toContainText(/Stalled: no event for \d+(\.\d)? s; the last one arrived \d+(\.\d)? s in/);
    await expect(page.getByTestId('tc-stall')).toContainText('stalled: no event for');
    const n = await eventsDrawn(page);
    expect(n).toBeGreaterThanOrEqual(38);
    await expect(page.locator('.timing-legend')).toContainText(`${n} events`);
    await screenshot(page, testInfo, 'live-stalled');

    // Hover an event: its time and name; click: the Raw tab, that event marked.
    const svg = page.getByTestId('timing-chart').locator('svg');
    const box = (await svg.boundingBox())!;
    const firstBar = (await page.locator('.tc-bar').first().boundingBox())!;
    await page.mouse.move(firstBar.x + firstBar.width / 2, box.y + box.height * 0.6);
    await expect(page.getByTestId('timing-tip')).toContainText(/\+\d+ ms|\+\d+\.\d s/);
    await expect(page.getByTestId('timing-tip')).toContainText(/message_start|content_block_\w+|ping/);
    await page.mouse.click(firstBar.x + firstBar.width / 2, box.y + box.height * 0.6);
    await expect(page.getByTestId('tab-raw')).toHaveAttribute('aria-selected', 'true');
    await expect(page.locator('.event.is-focused')).toBeVisible();
    await expect(page.getByTestId('event-bodies-pending')).toContainText('Live');
  } finally {
    ac.abort();
    await body;
  }
});

test('axis labels never repeat, whatever the request lasted', async ({ page, streamtap }) => {
  // A non-streaming answer in a few milliseconds: the case that read "0 ms 0 ms 1 ms 1 ms".
  const res = await streamtap.chat({ stream: false, scenario: {} });
  await res.text();
  await page.goto(streamtap.dashboardUrl);
  await page.locator('.trow').first().click();
  const labels = await page.locator('.tc-tick text').allTextContents();
  expect(labels.length).toBeGreaterThan(2);
  expect(new Set(labels).size).toBe(labels.length);
});

test('a record interrupted by kill -9 mid-stream keeps its timing chart and its raw events', async ({ page, streamtap }, testInfo) => {
  const ac = new AbortController();
  const res = await streamtap.messages({ prompt: 'killed mid-stream', scenario: { chunks: 200, chunkDelayMs: 60 }, signal: ac.signal });
  // Past the first store write of the event times (every 2 s while live).
  await readUntil(res, (t) => (t.match(/"text_delta"/g) ?? []).length >= 60, 30_000);
  await streamtap.restart({ signal: 'SIGKILL' });
  ac.abort();
  await page.goto(streamtap.dashboardUrl);
  const row = page.locator('.trow[data-outcome="interrupted"]');
  await expect(row).toHaveCount(1);
  await row.click();
  await expect(page.getByTestId('diagnosis')).toContainText('Streamtap stopped');
  await expect.poll(() => eventsDrawn(page)).toBeGreaterThan(20);
  await screenshot(page, testInfo, 'interrupted');
  await page.keyboard.press('3');
  // The event log stored while it streamed keeps the events' bodies, not only their times.
  await expect(page.getByTestId('raw-events').locator('.event-data').first()).toContainText('message_start');
  await expect(page.getByTestId('event-bodies-pending')).toHaveCount(0);
});

// Items 9 and 10 of issue 10: settings that tell the truth before saving (a headless
// server's port cannot change while it runs, and the form says so up front), and the
// keyboard: "?" lists the shortcuts, 1/2/3 switch the detail's tabs.

import { drain, expect, screenshot, test } from './fixtures.js';

test('in headless mode the port is read-only, with the way to change it, before anything is saved', async ({ page, streamtap }, testInfo) => {
  await page.goto(streamtap.dashboardUrl);
  await page.getByRole('button', { name: 'Settings' }).click();
  const port = page.locator('#f-port');
  await expect(port).toHaveAttribute('readonly', '');
  await expect(port).toHaveValue(new URL(streamtap.baseUrl).port);
  await expect(page.getByTestId('port-hint')).toContainText('restart it with --port N');
  await screenshot(page, testInfo, 'settings-headless');
  await port.press('End');
  await port.pressSequentially('9');
  await expect(port).toHaveValue(new URL(streamtap.baseUrl).port);
  // Everything else still saves, and no save ever reports a port problem.
  await page.locator('#f-retentionDays').fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Settings saved' })).toBeVisible();
  await expect(page.getByTestId('settings-server-error')).toHaveCount(0);
});

test('"?" shows the shortcuts; 1, 2 and 3 switch the detail tabs', async ({ page, streamtap }, testInfo) => {
  await drain(await streamtap.chat({ scenario: { chunks: 3 } }));
  await page.goto(streamtap.dashboardUrl);
  await expect(page.locator('.trow')).toHaveCount(1);
  await page.locator('body').press('?');
  const dialog = page.getByTestId('shortcuts');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Search prompts and answers');
  await expect(dialog).toContainText('Detail: Raw tab');
  await screenshot(page, testInfo, 'shortcuts');
  // The list owns the keyboard while open: j does not move the selection behind it.
  await page.keyboard.press('j');
  await expect(page.locator('.trow').first()).toHaveAttribute('aria-selected', 'false');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await page.locator('body').press('?');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('?');
  await expect(dialog).toBeHidden();

  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('detail')).toBeVisible();
  // The tabs take keys once the record is loaded (the panel shows before it is).
  await expect(page.getByTestId('tab-response')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('2');
  await expect(page.getByTestId('tab-request')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('3');
  await expect(page.getByTestId('tab-raw')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('raw-events')).toBeVisible();
  await page.keyboard.press('1');
  await expect(page.getByTestId('tab-response')).toHaveAttribute('aria-selected', 'true');
  // Typing in the search box is typing, not switching tabs.
  await page.getByTestId('search').click();
  await page.keyboard.type('2');
  await expect(page.getByTestId('tab-response')).toHaveAttribute('aria-selected', 'true');
});

test('Settings shows the database size on disk and keeps it under a limit the user sets, checked as typed', async ({ page, streamtap }, testInfo) => {
  await drain(await streamtap.chat({ scenario: { chunks: 3 } }));
  await page.goto(streamtap.dashboardUrl);
  await expect(page.locator('.trow')).toHaveCount(1);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('db-size')).toHaveText(/^The database takes \d+\.\d (KiB|MiB) on disk \(.+\.db and its WAL\)\.$/);
  const limit = page.locator('#f-retentionMaxMiB');
  await expect(limit).toHaveValue('0');
  await limit.fill('1.5');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('#e-retentionMaxMiB')).toHaveText('Enter a whole number of MiB, 0 sets no limit.');
  await page.getByTestId('db-size').scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, 'settings-retention');
  await limit.fill('512');
  await expect(page.locator('#e-retentionMaxMiB')).toHaveCount(0);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Settings saved' })).toBeVisible();
  await page.reload();
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.locator('#f-retentionMaxMiB')).toHaveValue('512');
});

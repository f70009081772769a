// Item 4 of issue 10 (and the Proof's screenshots): at 1024 and 1440 px, light and
// dark, with the detail closed and open, no two controls overlap, no column header is
// cut off, and the client stays visible. Screenshots of each are kept under
// test-results/screenshots (and attached to the test).

import type { Page } from '@playwright/test';
import { drain, expect, screenshot, test, UA } from './fixtures.js';
import { overlaps as overlapping, SHELL_CONTROLS, type PageGlobals } from './layout-checks.js';

/** Controls that must never sit on one another. */
const CONTROLS = [
  ...SHELL_CONTROLS,
  '.toolbar .btn-group',
  '.summary .stat',
  '.summary .chip-btn',
  '.summary .fold-toggle',
  '.thead .cell',
  '.detail-head-bar > *',
  '.tabs .tab',
].join(', ');

const overlaps = (page: Page) => overlapping(page, CONTROLS);

/** Header cells whose label does not fit, or that run past the table's right edge. */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const table = g.document.querySelector('.table')!.getBoundingClientRect();
    const out: string[] = [];
    for (const c of g.document.querySelectorAll('.thead .cell')) {
      const r = c.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.right > table.right + 0.5) out.push(`${c.textContent} runs past the table's edge`);
      if (c.scrollWidth > c.clientWidth + 1) out.push(`${c.textContent} is cut off (${c.scrollWidth} > ${c.clientWidth})`);
    }
    return out;
  });
}

for (const scheme of ['light', 'dark'] as const) {
  test(`no control overlaps another at 1024 and 1440 px, detail closed and open (${scheme})`, async ({ page, streamtap }, testInfo) => {
    test.slow();
    await page.emulateMedia({ colorScheme: scheme });
    const claude = { 'x-claude-code-session-id': 'layout-session' };
    await drain(await streamtap.messages({ headers: claude, prompt: 'Read src/parser.ts and explain it.', scenario: { chunks: 12 } }));
    await drain(await streamtap.chat({ model: 'gpt-4.1-mini', prompt: 'Classify these logs.', scenario: { status: 429, retryAfter: 20 } }));
    await drain(await streamtap.responses({ headers: { 'user-agent': UA.codex }, prompt: 'Refactor the store.', scenario: { chunks: 20, disconnectAfterEvents: 8 } })).catch(() => '');
    await drain(await streamtap.chat({ headers: { 'user-agent': UA.aider }, model: 'gpt-4.1', prompt: 'Shorten the answer.', scenario: { chunks: 6, finishByLength: true } }));
    await drain(await streamtap.messages({ headers: claude, model: 'claude-haiku-4-5', prompt: 'Name this branch.', scenario: { chunks: 4 } }));
    await page.goto(streamtap.dashboardUrl);
    await expect(page.locator('.trow')).toHaveCount(5);
    await expect(page.getByTestId('activity')).toBeVisible();

    // The check itself: the range select pushed onto the search box is caught.
    const pushed = await page.addStyleTag({ content: '.toolbar .range { position: absolute; left: 40px; top: 50px; }' });
    expect((await overlaps(page)).join('\n')).toMatch(/search.*overlaps.*range|range.*overlaps.*search/);
    await pushed.evaluate((el) => el.remove());

    for (const width of [1024, 1440]) {
      await page.setViewportSize({ width, height: 760 });
      for (const detail of [false, true]) {
        if (detail) {
          await page.locator('.trow[data-outcome="upstream_error"]').click();
          await expect(page.getByTestId('diagnosis')).toBeVisible();
        } else if (await page.getByTestId('detail').count()) {
          await page.keyboard.press('Escape');
        }
        await expect(page.getByTestId('detail')).toHaveCount(detail ? 1 : 0);
        const where = `${width} px, ${scheme}, detail ${detail ? 'open' : 'closed'}`;
        expect(await overlaps(page), where).toEqual([]);
        expect(await cutOff(page), where).toEqual([]);
        // The client stays visible, and the outcome and duration are never cut.
        const row = page.locator('.trow[data-outcome="upstream_error"]');
        await expect(row.locator('.col-client .client-name'), where).toBeVisible();
        await expect(row.locator('.col-outcome .badge'), where).toBeVisible();
        await expect(page.locator('.thead .col-dur'), where).toBeVisible();
        await screenshot(page, testInfo, `timeline-${width}-${scheme}${detail ? '-detail' : ''}`);
      }
    }
  });
}

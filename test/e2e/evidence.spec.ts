// Item 8 of issue 10: evidence that is exact. A refused connection was answered by no
// one; a non-streaming 429 has no stream to have stopped; the box under the diagnosis
// never repeats it word for word.

import { startRefusingPort } from '../fixtures/fake-upstream.js';
import { drain, expect, screenshot, test } from './fixtures.js';

test('a refused connection was answered by no one, and its diagnosis is said once', async ({ page, streamtap }, testInfo) => {
  const port = await startRefusingPort();
  await streamtap.restart({ args: ['--upstream', `dead=http://127.0.0.1:${port}`] });
  const res = await streamtap.send('/dead/v1/chat/completions', { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }, { headers: { authorization: 'Bearer sk-test-e2e-0000000000000000abcd' } });
  expect(res.status).toBe(502);
  await drain(res);
  await page.goto(streamtap.dashboardUrl);
  await page.locator('.trow[data-outcome="upstream_unreachable"]').click();
  await expect(page.getByTestId('diagnosis')).toContainText('could not reach');
  await expect(page.getByTestId('evidence')).toContainText('no one: the provider never answered (connection refused)');
  await screenshot(page, testInfo, 'unreachable');
  // Whatever the error box holds, it is not the diagnosis again.
  const diagnosis = (await page.getByTestId('diagnosis').textContent())!.replace(/\s+/g, ' ').trim().toLowerCase();
  for (const line of await page.getByTestId('error-message').locator('div').allTextContents()) {
    expect(diagnosis).not.toContain(line.replace(/\s+/g, ' ').trim().toLowerCase());
  }
});

test('a non-streaming 429 has no "stream stopped here", and its message is not repeated under the diagnosis', async ({ page, streamtap }) => {
  await drain(await streamtap.chat({ stream: false, scenario: { status: 429, retryAfter: 20 } }));
  await page.goto(streamtap.dashboardUrl);
  await page.locator('.trow[data-outcome="upstream_error"]').click();
  await expect(page.getByTestId('diagnosis')).toContainText(/rate limit/i);
  await expect(page.getByTestId('error-message')).toHaveCount(0);
  await expect(page.getByTestId('cut-mark')).toContainText('answered with an error instead of a completion');
  await expect(page.getByTestId('cut-mark')).not.toContainText('stopped here');
  await expect(page.getByTestId('evidence')).toContainText('Retry after');
});

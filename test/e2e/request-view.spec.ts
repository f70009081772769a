// Item 6 of issue 10: the request view puts the user's prompt first (Claude Code buries
// it under <system-reminder> text and tool results), folds the system prompt, tools,
// reminders and tool results away, shows raw bodies as a collapsible JSON tree with
// copy buttons, and highlights a search hit in the detail.

import { drain, expect, screenshot, test, UA } from './fixtures.js';

const REMINDER = `<system-reminder>\n${'As you answer the user, use the following context: CLAUDE.md says to keep functions small. '.repeat(40)}\n</system-reminder>`;

test('the latest prompt comes first; system, tools, reminders and tool results are folded; bodies are a JSON tree; a search hit is highlighted', async ({ page, context, streamtap }, testInfo) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const res = await streamtap.send(
    '/v1/messages',
    {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      system: [{ type: 'text', text: 'You are Claude Code, an agentic coding tool. '.repeat(50) }],
      tools: [{ name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: REMINDER }, { type: 'text', text: 'Make the tokenizer handle the needle-zeta case' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'src/tokenizer.ts' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'export function tokenize() { /* 300 lines */ }' }, { type: 'text', text: REMINDER }] },
      ],
    },
    { scenario: { chunks: 4 }, headers: { 'x-api-key': 'sk-ant-test-e2e-00000000000000wxyz', 'anthropic-version': '2023-06-01', 'user-agent': UA.claudeCode } },
  );
  await drain(res);
  await page.goto(streamtap.dashboardUrl);
  await page.locator('.trow').first().click();
  await page.keyboard.press('2');
  await expect(page.getByTestId('tab-request')).toHaveAttribute('aria-selected', 'true');

  // The prompt first, without the reminders; they and the rest are folded.
  const prompt = page.getByTestId('latest-prompt');
  await expect(prompt.locator('.prompt-text')).toHaveText('Make the tokenizer handle the needle-zeta case');
  await expect(prompt).toContainText('1 system reminder');
  await expect(prompt).toContainText('then 2 messages of tool calls and results');
  const view = page.locator('.request-view');
  const box = async (sel: string) => (await view.locator(sel).first().boundingBox())!.y;
  expect(await box('[data-testid="latest-prompt"]')).toBeLessThan(await box('details.fold'));
  for (const fold of await view.locator('details').all()) await expect(fold).not.toHaveAttribute('open', '');
  await expect(view.locator('.part-tool-result')).toHaveCount(1);
  await expect(view.getByText('CLAUDE.md says to keep functions small').first()).toBeHidden();
  await screenshot(page, testInfo, 'request-view');

  // Raw: the body as a JSON tree, collapsible, with copy buttons.
  await page.keyboard.press('3');
  const body = page.getByTestId('raw-request-body');
  await expect(body.locator('.json-tree')).toBeVisible();
  await expect(body.locator('.jt-key', { hasText: 'messages' })).toBeVisible();
  const before = await body.locator('.jt-row').count();
  await body.getByRole('button', { name: 'Expand all' }).click();
  await expect.poll(() => body.locator('.jt-row').count()).toBeGreaterThan(before);
  await screenshot(page, testInfo, 'raw-json-tree');
  await body.getByRole('button', { name: 'Copy JSON' }).click();
  await expect(body.getByRole('button', { name: '✓ Copied' })).toBeVisible();
  const copied = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
  expect(copied).toContain('\n  "model": "claude-sonnet-4-5"');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('detail')).toHaveCount(0);

  // A search: the detail opens on the tab with the match and highlights it.
  await page.getByTestId('search').fill('needle-zeta');
  await expect(page.locator('.trow')).toHaveCount(1);
  await page.getByTestId('search').blur();
  await page.locator('.trow').first().click();
  await expect(page.getByTestId('tab-request')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('search-hits')).toContainText(/1 of \d+ matches for “needle-zeta”/);
  const painted = await page.evaluate(() => {
    const css = (globalThis as unknown as { CSS: { highlights: Map<string, { size: number }> } }).CSS;
    return css.highlights.get('streamtap-search')?.size ?? 0;
  });
  expect(painted).toBeGreaterThan(0);
  await screenshot(page, testInfo, 'search-hit');
});

// The headless dashboard end to end: real requests go through `streamtap serve` to the
// fake upstream, and the page (Debian's Chromium) must show what happened to them —
// live while they stream, then settled with the right badge and diagnosis.

import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { chatDeltas, drain, expect, readUntil, REPO_ROOT, test, UA, type Streamtap } from './fixtures.js';

const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

async function openDashboard(page: Page, st: Streamtap): Promise<void> {
  await page.goto(st.dashboardUrl);
  await expect(page.locator('.topbar')).toBeVisible();
  // The token moved from the address bar to sessionStorage.
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('live-count')).toBeVisible();
}

const rows = (page: Page) => page.locator('.trow');
const rowWith = (page: Page, outcome: string) => page.locator(`.trow[data-outcome="${outcome}"]`);

async function openDetailOf(page: Page, row: ReturnType<Page['locator']>): Promise<void> {
  await row.click();
  await expect(page.getByTestId('detail')).toBeVisible();
  await expect(page.getByTestId('diagnosis')).toBeVisible();
}

test('a streaming request shows as in progress while it streams, then settles as completed with tokens and TTFT', async ({ page, streamtap }) => {
  await openDashboard(page, streamtap);
  // Anthropic's stream reports input tokens at its start and output tokens at its end.
  const res = await streamtap.messages({ scenario: { chunks: 16, chunkDelayMs: 250 } });
  const body = drain(res);

  const live = rowWith(page, 'in_progress');
  await expect(live).toHaveCount(1);
  await expect(live.locator('.badge')).toHaveText(/in progress/);
  // Output tokens count up while it streams (estimated until the provider reports usage).
  await expect(live.locator('.col-out')).toHaveText(/\d/);
  await expect(live.locator('.col-dur')).toHaveText(/\d/);

  await body;
  const done = rowWith(page, 'completed');
  await expect(done).toHaveCount(1);
  await expect(done.locator('.badge')).toHaveText(/completed/);
  await expect(done.locator('.col-in')).toHaveText(/\d/);
  await expect(done.locator('.col-out')).toHaveText(/\d/);
  await expect(done.locator('.col-ttft')).toHaveText(/\d+(\.\d)? (ms|s)/);
  await expect(done.locator('.col-dur')).toHaveText(/\d+(\.\d)? (ms|s)/);
  await expect(rowWith(page, 'in_progress')).toHaveCount(0);
});

test('a client abort mid-stream shows its badge, its diagnosis and the partial text', async ({ page, streamtap }) => {
  await openDashboard(page, streamtap);
  const text = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo sierra tango';
  const ac = new AbortController();
  const res = await streamtap.chat({ scenario: { text, chunks: 40, chunkDelayMs: 150 }, signal: ac.signal });
  const seen = await readUntil(res, (t) => chatDeltas(t).length >= 4);
  const partial = chatDeltas(seen).join('').trim();
  ac.abort();

  const row = rowWith(page, 'client_aborted');
  await expect(row).toHaveCount(1);
  await expect(row.locator('.badge')).toHaveText(/client aborted/);
  await openDetailOf(page, row);
  await expect(page.getByTestId('diagnosis')).toContainText(/client/i);
  await expect(page.getByTestId('evidence')).toContainText('the client');
  await expect(page.getByTestId('response-text')).toContainText(partial);
  await expect(page.getByTestId('cut-mark')).toContainText('client aborted');
  // Less than the whole answer was recorded: the stream really was cut.
  await expect(page.getByTestId('response-text')).not.toContainText('romeo sierra tango');
});

test('an upstream 429 shows its status in the badge and the provider error in the detail', async ({ page, streamtap }) => {
  await openDashboard(page, streamtap);
  const res = await streamtap.chat({ scenario: { status: 429, retryAfter: 20 } });
  expect(res.status).toBe(429);
  await drain(res);

  const row = rowWith(page, 'upstream_error');
  await expect(row).toHaveCount(1);
  await expect(row.locator('.badge')).toHaveText(/upstream error\s*429/);
  await openDetailOf(page, row);
  await expect(page.getByTestId('diagnosis')).toContainText(/429|rate limit/i);
  // The provider's message is in the diagnosis; the box below does not repeat it.
  await expect(page.getByTestId('error-message')).toHaveCount(0);
  await expect(page.getByTestId('evidence')).toContainText('Retry after');
  await expect(page.getByTestId('evidence')).toContainText('20.0 s');
});

test('an upstream disconnect mid-stream shows "disconnected" and who closed the stream', async ({ page, streamtap }) => {
  await openDashboard(page, streamtap);
  const res = await streamtap.chat({ scenario: { chunks: 10, chunkDelayMs: 30, disconnectAfterEvents: 4 } });
  await drain(res).catch(() => {
    // the proxy breaks the client's stream too, as it must
  });

  const row = rowWith(page, 'upstream_disconnected');
  await expect(row).toHaveCount(1);
  await expect(row.locator('.badge')).toHaveText(/disconnected/);
  await openDetailOf(page, row);
  await expect(page.getByTestId('diagnosis')).not.toBeEmpty();
  await expect(page.getByTestId('evidence')).toContainText('the provider');
  await expect(page.getByTestId('cut-mark')).toBeVisible();
});

test('filters and search narrow the list; the keyboard moves through it', async ({ page, streamtap }) => {
  await drain(await streamtap.chat({ model: 'gpt-4.1-mini', prompt: 'find the needle-alpha in this prompt', scenario: { chunks: 3 } }));
  await drain(await streamtap.messages({ model: 'claude-sonnet-4-5', prompt: 'only haystack here', scenario: { chunks: 3 } }));
  await drain(await streamtap.chat({ model: 'gpt-4.1', prompt: 'rate limited', scenario: { status: 429 } }));
  await openDashboard(page, streamtap);
  await expect(rows(page)).toHaveCount(3);
  await expect(page.getByTestId('summary')).toContainText('3 requests');

  // Outcome
  await page.getByTestId('filter-outcome').getByRole('button').click();
  await page.getByRole('option', { name: /upstream error/ }).locator('input').check();
  await page.keyboard.press('Escape');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-outcome', 'upstream_error');
  await expect(page.getByTestId('summary')).toContainText('1 request');
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(rows(page)).toHaveCount(3);

  // Model
  await page.getByTestId('filter-model').getByRole('button').click();
  await page.getByRole('option', { name: 'claude-sonnet-4-5' }).locator('input').check();
  await page.keyboard.press('Escape');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().locator('.col-model')).toHaveText('claude-sonnet-4-5');
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(rows(page)).toHaveCount(3);

  // Text search in the bodies, reached with "/"
  await page.locator('body').click();
  await page.keyboard.press('/');
  await expect(page.getByTestId('search')).toBeFocused();
  await page.keyboard.type('needle-alpha');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().locator('.col-model')).toHaveText('gpt-4.1-mini');
  await page.getByTestId('search').fill('nothing-matches-this');
  await expect(rows(page)).toHaveCount(0);
  await expect(page.getByText('No request matches these filters')).toBeVisible();
  await page.getByTestId('search').fill('');
  await expect(rows(page)).toHaveCount(3);

  // Keyboard: j/k or arrows move the selection, Enter opens, Esc closes.
  await page.getByTestId('search').blur();
  await page.keyboard.press('j');
  await expect(rows(page).nth(0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(rows(page).nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('k');
  await expect(rows(page).nth(0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('detail')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('detail')).toHaveCount(0);
});

test('a session shows how it ended, one click from the request that ended it', async ({ page, streamtap }) => {
  const session = { 'x-claude-code-session-id': 'e2e-session-0001' };
  await drain(await streamtap.messages({ headers: session, prompt: 'first turn', scenario: { chunks: 3 } }));
  await drain(await streamtap.messages({ headers: session, prompt: 'second turn', scenario: { chunks: 10, chunkDelayMs: 20, disconnectAfterEvents: 5 } })).catch(() => {});
  await openDashboard(page, streamtap);
  await expect(rows(page)).toHaveCount(2);
  const lastId = await rowWith(page, 'upstream_disconnected').getAttribute('data-id');

  await page.getByRole('button', { name: 'Sessions' }).click();
  const s = page.locator('.session[data-session="e2e-session-0001"]');
  await expect(s).toBeVisible();
  await expect(s).toContainText('Claude Code');
  await expect(s).toContainText('2 requests');
  await expect(s.locator('.badge')).toHaveText(/disconnected/);
  const ending = (await s.locator('.session-diagnosis').innerText()).trim();
  expect(ending).toMatch(/^The provider dropped the stream of turn 2 /);
  await expect(page.getByTestId('session-diagnosis')).toHaveText(ending);

  await page.getByTestId('session-last').click();
  await expect(page.getByTestId('detail')).toBeVisible();
  await expect(page.locator('.detail-id')).toHaveText(`id ${lastId}`);
  await expect(page.getByTestId('diagnosis')).toContainText('The provider dropped the connection');

  await page.getByTestId('session-requests').click();
  await expect(page.locator('.timeline')).toBeVisible();
  await expect(rows(page)).toHaveCount(2);
  await expect(page.getByTestId('filter-session').getByRole('button')).toContainText('e2e-session-0001');
});

test('export downloads valid JSON of the current filter', async ({ page, streamtap }) => {
  await drain(await streamtap.chat({ scenario: { chunks: 3 } }));
  await drain(await streamtap.chat({ scenario: { status: 429 } }));
  await openDashboard(page, streamtap);
  await expect(rows(page)).toHaveCount(2);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const file = await download.path();
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { formatVersion: number; records: { outcome: string }[] };
  expect(doc.formatVersion).toBe(1);
  expect(doc.records).toHaveLength(2);

  // The export follows the filter on screen.
  await page.getByTestId('filter-outcome').getByRole('button').click();
  await page.getByRole('option', { name: /upstream error/ }).locator('input').check();
  await page.keyboard.press('Escape');
  await expect(rows(page)).toHaveCount(1);
  const [filtered] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-jsonl').click()]);
  const lines = fs.readFileSync(await filtered.path(), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect((JSON.parse(lines[0]!) as { outcome: string }).outcome).toBe('upstream_error');
  // The window did not freeze: the job is reported and the list still answers.
  await expect(page.getByTestId('export-job').first()).toBeVisible();
});

test('screenshots of the timeline and the detail view', async ({ page, streamtap }, testInfo) => {
  test.slow();
  const codex = { 'user-agent': UA.codex };
  const aider = { 'user-agent': UA.aider };
  const claude = { 'x-claude-code-session-id': 'b6f1c0de-5e55-4a1d-9c0d-3f2a7e1d9a42' };
  const pace = (first: number, delay: number, chunks: number) => ({ firstTokenDelayMs: first, chunkDelayMs: delay, chunks });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const quietly = (p: Promise<Response>) => p.then(drain).catch(() => '');

  // A realistic morning, started a little apart so rows read in order: a few agents,
  // mostly fine, some cut off.
  const jobs: Promise<unknown>[] = [];
  const plan: (() => Promise<unknown>)[] = [
    () => quietly(streamtap.messages({ headers: claude, prompt: 'Read src/parser.ts and explain it.', scenario: pace(1100, 40, 40) })),
    () => quietly(streamtap.responses({ headers: codex, prompt: 'Run the failing test and fix it.', scenario: pace(1800, 30, 50) })),
    () => quietly(streamtap.chat({ headers: aider, includeUsage: true, model: 'gpt-4.1', prompt: 'Add a retry to the fetch helper.', scenario: pace(600, 35, 40) })),
    () => quietly(streamtap.messages({ headers: claude, model: 'claude-haiku-4-5', prompt: 'Summarise the diff.', scenario: { ...pace(500, 30, 40), finishByLength: true } })),
    () => quietly(streamtap.chat({ model: 'gpt-4.1-mini', prompt: 'Classify these logs.', scenario: { status: 429, retryAfter: 20, headerDelayMs: 120 } })),
    () => quietly(streamtap.responses({ headers: codex, prompt: 'Refactor the store.', scenario: { ...pace(1400, 60, 40), disconnectAfterEvents: 24 } })),
    () => quietly(streamtap.messages({ headers: claude, prompt: 'Now write the tests.', scenario: { status: 529, headerDelayMs: 300 } })),
    () => quietly(streamtap.chat({ headers: aider, includeUsage: true, model: 'gpt-4.1', prompt: 'Explain the error.', scenario: pace(700, 25, 30) })),
    () => quietly(streamtap.responses({ headers: codex, prompt: 'Update the changelog.', scenario: pace(900, 20, 40) })),
    () => quietly(streamtap.messages({ headers: claude, prompt: 'Fix the lint errors.', scenario: pace(800, 25, 40) })),
    () => quietly(streamtap.chat({ model: 'gpt-4.1-mini', prompt: 'Tag this issue.', scenario: pace(400, 15, 20) })),
    () => quietly(streamtap.messages({ headers: claude, model: 'claude-haiku-4-5', prompt: 'Name this branch.', scenario: pace(300, 10, 20) })),
    () => quietly(streamtap.responses({ headers: codex, prompt: 'Explain the flaky test.', scenario: pace(1600, 30, 60) })),
    () => quietly(streamtap.chat({ headers: aider, includeUsage: true, model: 'gpt-4.1', prompt: 'Rename the helper.', scenario: pace(500, 20, 30) })),
    () => quietly(streamtap.messages({ headers: claude, prompt: 'Run the migration.', scenario: pace(900, 30, 50) })),
    () => quietly(streamtap.chat({ headers: aider, includeUsage: true, model: 'gpt-4.1', prompt: 'Shorten the answer.', scenario: { ...pace(600, 20, 40), finishByLength: true } })),
    () => quietly(streamtap.responses({ headers: codex, prompt: 'Write the release notes.', scenario: pace(1000, 25, 50) })),
  ];
  for (const start of plan) {
    jobs.push(start());
    await sleep(350);
  }
  // The one this screenshot is about: Claude Code gives up mid-answer.
  const abort = new AbortController();
  const aborted = await streamtap.messages({
    headers: claude,
    prompt: 'Refactor the SSE parser so it streams tokens as they arrive.',
    scenario: {
      text: 'I will refactor the parser in three steps. First, the reader yields each chunk as soon as it arrives instead of buffering the whole body. Second, the decoder keeps a partial multi-byte character between reads, so an emoji split across two TCP packets survives. Third, new tests prove the order of events is kept.',
      ...pace(1300, 70, 70),
      stallAfterEvents: 40,
      stallMs: 60_000,
    },
    signal: abort.signal,
  });
  jobs.push(
    readUntil(aborted, (t) => (t.match(/"text_delta"/g) ?? []).length >= 36, 30_000).then(async () => {
      await sleep(4_000); // the provider went quiet; the client waited, then gave up
      abort.abort();
    }),
  );
  await Promise.all(jobs);

  // One stream still running, one that went quiet (stalled).
  const liveAbort = new AbortController();
  const stalledAbort = new AbortController();
  const stalled = await streamtap.responses({ headers: codex, prompt: 'Migrate the schema.', scenario: { ...pace(700, 60, 30), stallAfterEvents: 16, stallMs: 120_000 }, signal: stalledAbort.signal });
  const stalledBody = drain(stalled).catch(() => {});
  try {
    await openDashboard(page, streamtap);
    await expect(rows(page)).toHaveCount(19);
    await expect(page.locator('.stall')).toBeVisible({ timeout: 20_000 });
    const running = await streamtap.messages({ headers: claude, prompt: 'Write the changelog.', scenario: { ...pace(600, 90, 400) }, signal: liveAbort.signal });
    const runningBody = drain(running).catch(() => {});
    await expect(rowWith(page, 'in_progress')).toHaveCount(2);
    await page.waitForTimeout(2500);

    // Sized to the content, so the README image has no empty half.
    await page.setViewportSize({ width: 1440, height: 760 });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const timelinePng = path.join(SCREENSHOTS, 'timeline.png');
    await page.screenshot({ path: timelinePng });
    await testInfo.attach('timeline', { path: timelinePng, contentType: 'image/png' });
    // The README's images are refreshed on request only, so a test run leaves the tree clean.
    if (process.env['STREAMTAP_UPDATE_DOCS']) fs.copyFileSync(timelinePng, path.join(REPO_ROOT, 'docs', 'screenshot-timeline.png'));

    await page.setViewportSize({ width: 1440, height: 860 });
    await openDetailOf(page, rowWith(page, 'client_aborted'));
    await expect(page.getByTestId('timing-chart')).toBeVisible();
    await expect(page.getByTestId('response-text')).toContainText('I will refactor the parser');
    const detailPng = path.join(SCREENSHOTS, 'detail.png');
    await page.screenshot({ path: detailPng });
    await testInfo.attach('detail', { path: detailPng, contentType: 'image/png' });
    if (process.env['STREAMTAP_UPDATE_DOCS']) fs.copyFileSync(detailPng, path.join(REPO_ROOT, 'docs', 'screenshot-detail.png'));
    liveAbort.abort();
    await runningBody;
  } finally {
    liveAbort.abort();
    stalledAbort.abort();
    await stalledBody;
  }
});

// The sessions view end to end (issue 9, items 5 and 7): real requests through
// `streamtap serve` to the fake provider, which imitates the tools' retry patterns —
// Claude Code's turn that got a 529 and then an answer, Codex reconnecting a dropped
// stream until it gave up, a script whose conversation outgrew gpt-4's window. The page
// must tell each story: the ending and its diagnosis first, the turns with their
// attempts nested, the attempts one click from their detail, which links to the other
// attempts of its turn; and the timeline folds retries under their turn ("×N"), also
// while requests arrive.

import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { drain, expect, REPO_ROOT, screenshot, test, UA, type Streamtap } from './fixtures.js';
import { overlaps, SHELL_CONTROLS } from './layout-checks.js';

const RECOVERED = 'b6f1c0de-5e55-4a1d-9c0d-3f2a7e1d9a42';
const GAVE_UP = '0199f1a2-7c3e-7d40-9a51-5a3c0c1e2b77';
const CLAUDE = { 'x-claude-code-session-id': RECOVERED };
const CODEX = { session_id: GAVE_UP, 'user-agent': UA.codex };
const REFACTOR = 'Refactor the SSE parser so it streams tokens as they arrive.';
const JSON_FLAG = 'Add a --json flag to the sessions command.';

/** Claude Code: turn 1 answered; turn 2 got 529 overloaded, and its retry was answered. */
async function recoveredSession(st: Streamtap): Promise<void> {
  await drain(await st.messages({ headers: CLAUDE, prompt: 'Read src/sse.ts and explain how it buffers.', scenario: { chunks: 8 } }));
  await drain(await st.messages({ headers: CLAUDE, prompt: REFACTOR, scenario: { status: 529, errorType: 'overloaded_error', errorMessage: 'Overloaded' } }));
  await drain(await st.messages({ headers: CLAUDE, prompt: REFACTOR, scenario: { chunks: 14 } }));
}

/** Codex: one turn whose stream the provider dropped after 3 events, `n` times. */
async function gaveUpAttempt(st: Streamtap): Promise<void> {
  await drain(await st.responses({ headers: CODEX, prompt: JSON_FLAG, scenario: { chunks: 10, disconnectAfterEvents: 3 } })).catch(() => '');
}

/** Codex as it really talks: a turn answered, then the next one (the conversation so
 * far, plus the new prompt) dropped four times before Codex gave up. */
async function codexConversation(st: Streamtap): Promise<void> {
  const headers = { ...CODEX, authorization: 'Bearer sk-test-e2e-0000000000000000efgh' };
  const said = (role: 'user' | 'assistant', text: string) => ({ type: 'message', role, content: [{ type: role === 'user' ? 'input_text' : 'output_text', text }] });
  const first = [said('user', 'Where does the CLI parse its flags?')];
  const body = (input: unknown[]) => ({ model: 'gpt-5-codex', stream: true, instructions: 'You are Codex.', input });
  await drain(await st.send('/v1/responses', body(first), { headers, scenario: { chunks: 12 } }));
  const next = [...first, said('assistant', 'In src-main/headless/cli.ts, parseArgs().'), said('user', JSON_FLAG)];
  for (let i = 0; i < 4; i++) await drain(await st.send('/v1/responses', body(next), { headers, scenario: { chunks: 10, disconnectAfterEvents: 3 } })).catch(() => '');
}

/** An OpenAI SDK script (no session header: inferred) whose second turn no longer fit gpt-4's 8,192 tokens. */
async function exhaustedSession(st: Streamtap): Promise<void> {
  const headers = { authorization: 'Bearer sk-test-e2e-0000000000000000ijkl', 'user-agent': UA.openaiJs };
  const history = [{ role: 'user', content: `Summarise this log: ${'the quick brown fox jumps over the lazy dog '.repeat(820)}` }];
  await drain(await st.send('/v1/chat/completions', { model: 'gpt-4', messages: history }, { headers, scenario: { chunks: 6 } }));
  const refusal = "This model's maximum context length is 8192 tokens. However, your messages resulted in 8341 tokens. Please reduce the length of the messages.";
  await drain(
    await st.send(
      '/v1/chat/completions',
      { model: 'gpt-4', messages: [...history, { role: 'assistant', content: 'The log repeats one sentence.' }, { role: 'user', content: 'Now list every line that differs.' }] },
      { headers, scenario: { status: 400, errorType: 'invalid_request_error', errorCode: 'context_length_exceeded', errorMessage: refusal } },
    ),
  );
}

async function openSessions(page: Page, st: Streamtap): Promise<void> {
  await page.goto(st.dashboardUrl);
  await expect(page.locator('.topbar')).toBeVisible();
  await page.getByRole('button', { name: 'Sessions' }).click();
  await expect(page.locator('.sessions')).toBeVisible();
}

const sessionItem = (page: Page, id: string): Locator => page.locator(`.session[data-session="${id}"]`);
const story = (page: Page): Locator => page.getByTestId('session-story');
const attempts = (turn: Locator): Locator => turn.getByTestId('attempt');

async function attemptIds(turn: Locator): Promise<string[]> {
  return turn.getByTestId('attempt').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
}

test('a session that recovered: completed, its 529 and the retry that answered nested under their turn, each one click from its detail', async ({ page, streamtap }) => {
  await recoveredSession(streamtap);
  await openSessions(page, streamtap);

  // The newest session opens by itself, highlighted in the list: its ending comes first.
  const item = sessionItem(page, RECOVERED);
  await expect(item).toHaveAttribute('aria-selected', 'true');
  await expect(item.locator('.badge')).toHaveText(/completed/);
  await expect(item).toContainText('2 turns · 3 requests');
  await expect(story(page)).toHaveAttribute('data-session', RECOVERED);
  await expect(page.getByTestId('session-ending').locator('.badge')).toHaveText(/completed/);
  await expect(page.getByTestId('session-diagnosis')).toHaveText('Completed, after one 529 error recovered on attempt 2.');
  await expect(story(page)).toContainText('Claude Code 2.0.14');

  // The turns in order, each with its prompt; the second carried by two attempts.
  const turns = story(page).getByTestId('turn');
  await expect(turns).toHaveCount(2);
  await expect(turns.nth(0).locator('.turn-no')).toHaveText('Turn 1');
  await expect(turns.nth(0)).toContainText('Read src/sse.ts and explain how it buffers.');
  await expect(attempts(turns.nth(0))).toHaveCount(1);
  const turn2 = turns.nth(1);
  await expect(turn2).toContainText(REFACTOR);
  await expect(turn2).toHaveClass(/is-ending/);
  await expect(attempts(turn2)).toHaveCount(2);
  await expect(attempts(turn2).nth(0).locator('.badge')).toHaveText(/upstream error\s*529/);
  await expect(attempts(turn2).nth(0).locator('.attempt-why')).toContainText('529');
  await expect(attempts(turn2).nth(1).locator('.badge')).toHaveText(/completed/);
  await expect(attempts(turn2).nth(1)).toContainText(/TTFT\s*\d/);
  await expect(turn2.getByTestId('context')).toContainText(/\d/);
  const [failed, answered] = await attemptIds(turn2);

  // An attempt opens its request's detail, which says where it stands in its turn.
  await attempts(turn2).nth(0).click();
  await expect(page.getByTestId('detail')).toBeVisible();
  await expect(page.locator('.detail-id')).toHaveText(`id ${failed}`);
  await expect(attempts(turn2).nth(0)).toHaveClass(/is-open/);
  await expect(page.getByTestId('attempt-links')).toContainText('Attempt 1 of 2 of its turn');
  await expect(page.getByTestId('retry-of')).toHaveCount(0);
  await expect(page.getByTestId('retried-as')).toHaveText('retried as attempt 2');
  await page.getByTestId('retried-as').click();
  await expect(page.locator('.detail-id')).toHaveText(`id ${answered}`);
  await expect(page.getByTestId('diagnosis')).toContainText(/complete/i);
  await expect(page.getByTestId('retried-as')).toHaveCount(0);
  await page.getByTestId('retry-of').click();
  await expect(page.locator('.detail-id')).toHaveText(`id ${failed}`);

  // Live: a third turn streams while the story is on screen, then settles.
  await page.keyboard.press('Escape');
  const third = drain(await streamtap.messages({ headers: CLAUDE, prompt: 'Now write the tests.', scenario: { chunks: 24, chunkDelayMs: 150 } }));
  await expect(turns).toHaveCount(3);
  const live = attempts(turns.nth(2)).first();
  await expect(live.locator('.badge')).toHaveText(/in progress/);
  await expect(live.locator('.live-num')).toHaveText(/for \d/);
  await third;
  await expect(live.locator('.badge')).toHaveText(/completed/);
  await expect(page.getByTestId('session-diagnosis')).toHaveText(/^Completed: 3 turns/);

  // "All its requests": the timeline, filtered to the session; a request's detail leads back to its story.
  await page.getByTestId('session-requests').click();
  await expect(page.locator('.trow')).toHaveCount(4);
  await expect(page.getByTestId('filter-session').getByRole('button')).toContainText(RECOVERED.slice(0, 12));
  await page.locator(`.trow[data-id="${failed}"]`).click();
  await page.getByTestId('session-story-link').click();
  await expect(story(page)).toHaveAttribute('data-session', RECOVERED);
  await expect(attempts(turn2).nth(0)).toHaveClass(/is-open/);
});

test('a session that gave up: the ending and its diagnosis, every failed attempt under its turn, live; sessions searched and filtered, moved through with the keyboard', async ({ page, streamtap }) => {
  await recoveredSession(streamtap);
  for (let i = 0; i < 3; i++) await gaveUpAttempt(streamtap);
  await openSessions(page, streamtap);

  // Latest first: Codex's session is the one open.
  await expect(page.locator('.session')).toHaveCount(2);
  await expect(page.locator('.session').first()).toHaveAttribute('data-session', GAVE_UP);
  await expect(page.getByTestId('session-diagnosis')).toContainText('Codex gave up after 3 attempts');
  // Live: Codex tries once more while the story is on screen.
  await gaveUpAttempt(streamtap);
  await expect(sessionItem(page, GAVE_UP)).toHaveAttribute('aria-selected', 'true');
  await expect(sessionItem(page, GAVE_UP).locator('.badge')).toHaveText(/gave up after retries/);
  await expect(page.getByTestId('session-ending')).toHaveAttribute('data-ending', 'gave_up_after_retries');
  await expect(page.getByTestId('session-diagnosis')).toHaveText(/^Codex gave up after 4 attempts in \d+(\.\d)? (ms|s): each time the provider dropped the stream after 3 events\.$/);
  const turns = story(page).getByTestId('turn');
  await expect(turns).toHaveCount(1);
  await expect(turns.first()).toContainText(JSON_FLAG);
  await expect(attempts(turns.first())).toHaveCount(4);
  for (let i = 0; i < 4; i++) {
    const a = attempts(turns.first()).nth(i);
    await expect(a.locator('.attempt-no')).toHaveText(`#${i + 1}`);
    await expect(a.locator('.badge')).toHaveText(/disconnected/);
    await expect(a.locator('.attempt-why')).toContainText('3 events');
  }
  // The middle attempt links both ways.
  const ids = await attemptIds(turns.first());
  await attempts(turns.first()).nth(1).click();
  await expect(page.getByTestId('attempt-links')).toContainText('Attempt 2 of 4 of its turn');
  await expect(page.getByTestId('retry-of')).toHaveAttribute('data-id', ids[0]!);
  await expect(page.getByTestId('retried-as')).toHaveAttribute('data-id', ids[2]!);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('detail')).toHaveCount(0);

  // The keyboard: j/k move the highlight and the story with it; Enter opens the request that ended it.
  await page.keyboard.press('j');
  await expect(sessionItem(page, RECOVERED)).toHaveAttribute('aria-selected', 'true');
  await expect(story(page)).toHaveAttribute('data-session', RECOVERED);
  await page.keyboard.press('k');
  await expect(story(page)).toHaveAttribute('data-session', GAVE_UP);
  await page.keyboard.press('Enter');
  await expect(page.locator('.detail-id')).toHaveText(`id ${ids[3]}`);
  await expect(page.getByTestId('retried-as')).toHaveCount(0);
  await page.keyboard.press('Escape');

  // Filters: by ending, by client, by a search of the prompts, by time.
  await page.getByTestId('sessions-filter-ending').getByRole('button').click();
  await page.getByRole('checkbox', { name: 'gave up after retries' }).check();
  await page.keyboard.press('Escape');
  await expect(page.locator('.session')).toHaveCount(1);
  await expect(page.locator('.session').first()).toHaveAttribute('data-session', GAVE_UP);
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.locator('.session')).toHaveCount(2);
  await page.getByTestId('sessions-filter-client').getByRole('button').click();
  await page.getByRole('checkbox', { name: 'Claude Code 2.0.14' }).check();
  await page.keyboard.press('Escape');
  await expect(page.locator('.session')).toHaveCount(1);
  await expect(page.locator('.session').first()).toHaveAttribute('data-session', RECOVERED);
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.keyboard.press('/');
  await expect(page.getByTestId('sessions-search')).toBeFocused();
  await page.keyboard.type('streams tokens as they arrive');
  await expect(page.locator('.session')).toHaveCount(1);
  await expect(page.locator('.session').first()).toHaveAttribute('data-session', RECOVERED);
  await page.getByTestId('sessions-search').fill('no session says this');
  await expect(page.getByTestId('session-count')).toHaveText('0 sessions');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page.locator('.session')).toHaveCount(2);
  await page.getByTestId('sessions-filter-range').selectOption('15m');
  await expect(page.locator('.session')).toHaveCount(2);
});

test('the timeline folds retries under their turn as ×N, opens them, keeps folding while attempts arrive, and remembers the choice', async ({ page, streamtap }, testInfo) => {
  await recoveredSession(streamtap);
  for (let i = 0; i < 3; i++) await gaveUpAttempt(streamtap);
  await page.goto(streamtap.dashboardUrl);
  const rows = page.locator('.trow');
  await expect(rows).toHaveCount(6);
  await expect(page.getByTestId('fold-count')).toHaveCount(0);

  await page.getByTestId('fold-retries').check();
  // One row per turn: Codex's turn (×3), Claude Code's turn 2 (×2) and turn 1.
  await expect(rows).toHaveCount(3);
  const codexRow = rows.nth(0);
  await expect(codexRow.getByTestId('fold-count')).toHaveText('×3');
  await expect(codexRow).toHaveAttribute('data-attempt', '3');
  await expect(rows.nth(1).getByTestId('fold-count')).toHaveText('×2');
  await expect(rows.nth(1).locator('.badge')).toHaveText(/completed/);
  await expect(rows.nth(2).getByTestId('fold-count')).toHaveCount(0);

  // Open Codex's turn: its earlier attempts, under it.
  await codexRow.getByTestId('fold-count').click();
  await expect(page.getByTestId('detail')).toHaveCount(0); // the ×N opens the turn, not the detail
  await expect(rows).toHaveCount(5);
  await expect(page.locator('.trow.is-nested')).toHaveCount(2);
  await expect(page.locator('.trow.is-nested .attempt-no')).toHaveText(['#2', '#1']);
  await screenshot(page, testInfo, 'timeline-folded');
  await codexRow.getByTestId('fold-count').click();
  await expect(rows).toHaveCount(3);

  // The keyboard: select the turn, → opens it, ← closes it.
  await page.keyboard.press('j');
  await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('.trow.is-nested')).toHaveCount(2);
  await page.keyboard.press('ArrowLeft');
  await expect(page.locator('.trow.is-nested')).toHaveCount(0);

  // Live: another attempt joins the turn's row, which now stands for it.
  await gaveUpAttempt(streamtap);
  await expect(rows.nth(0).getByTestId('fold-count')).toHaveText('×4');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute('data-attempt', '4');
  await expect(rows.nth(0).locator('.badge')).toHaveText(/disconnected/);

  // Remembered: after a reload the timeline is still folded.
  await page.reload();
  await expect(page.getByTestId('fold-retries')).toBeChecked();
  await expect(rows).toHaveCount(3);
  await page.getByTestId('fold-retries').uncheck();
  await expect(rows).toHaveCount(7);
});

const SESSION_CONTROLS = [
  ...SHELL_CONTROLS,
  '.session-line > *',
  '.story-actions .btn',
  '.story-meta > *',
  '.turn-head > *',
  '.attempt > *',
  '.detail-head-bar > *',
  '.attempt-links > *',
].join(', ');

test('the session view reads at 1024 and 1440 px, with the detail closed and open', async ({ page, streamtap }, testInfo) => {
  test.slow();
  await exhaustedSession(streamtap);
  await recoveredSession(streamtap);
  await codexConversation(streamtap);
  await openSessions(page, streamtap);
  await expect(page.locator('.session')).toHaveCount(3);
  await expect(sessionItem(page, GAVE_UP)).toHaveAttribute('aria-selected', 'true');
  const exhausted = page.locator('.session[data-ending="context_exhausted"]');
  await expect(exhausted.locator('.badge')).toHaveText(/context exhausted/);
  await expect(exhausted).toContainText('inferred');

  for (const width of [1024, 1440]) {
    await page.setViewportSize({ width, height: 800 });
    for (const detail of [false, true]) {
      if (detail) await attempts(story(page).getByTestId('turn').last()).nth(1).click();
      else if (await page.getByTestId('detail').count()) await page.keyboard.press('Escape');
      await expect(page.getByTestId('detail')).toHaveCount(detail ? 1 : 0);
      const where = `${width} px, detail ${detail ? 'open' : 'closed'}`;
      // The ending is on screen, and nothing sits on anything else.
      await expect(page.getByTestId('session-diagnosis'), where).toBeInViewport();
      expect(await overlaps(page, SESSION_CONTROLS), where).toEqual([]);
      await screenshot(page, testInfo, `sessions-${width}${detail ? '-detail' : ''}`);
    }
  }
  // Narrow (the detail open at 1024 px): the story has the width, "‹ Sessions" goes back.
  await page.setViewportSize({ width: 1024, height: 800 });
  await expect(page.locator('.session-list-pane')).toBeHidden();
  await page.locator('.story-back').click();
  await expect(page.locator('.session-list-pane')).toBeVisible();
  await exhausted.click();
  await expect(story(page).getByTestId('turn')).toHaveCount(2);
  await expect(story(page).getByTestId('turn').nth(0).getByTestId('context')).toContainText('of 8,192');
  await expect(story(page).getByTestId('turn').nth(1).getByTestId('context')).toContainText('refused: too long');
  await page.keyboard.press('Escape');

  // The README's picture: Claude Code's recovered session and the others beside it.
  await page.setViewportSize({ width: 1440, height: 820 });
  await sessionItem(page, GAVE_UP).click();
  await expect(page.getByTestId('session-ending')).toHaveAttribute('data-ending', 'gave_up_after_retries');
  const png = await screenshot(page, testInfo, 'sessions');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, testInfo, 'sessions-dark');
  // The README's images are refreshed on request only, so a test run leaves the tree clean.
  if (process.env['STREAMTAP_UPDATE_DOCS']) fs.copyFileSync(png, path.join(REPO_ROOT, 'docs', 'screenshot-sessions.png'));
});

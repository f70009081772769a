// End-to-end tests: the headless dashboard (`streamtap serve`) in Debian's Chromium,
// with the fake upstream on 127.0.0.1 (test/e2e/fixtures.ts starts both per test).
// One worker: the machine has two cores and each test runs a server, an upstream and a
// browser. Traces and screenshots are kept for failed tests, under test-results/e2e.
// `npx playwright install` cannot download browsers here; Chromium comes from apt.

import { defineConfig } from '@playwright/test';

const CHROMIUM = process.env['STREAMTAP_CHROMIUM'] ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  // test-results/ also holds other reports (vitest.json, screenshots): only e2e/ is
  // Playwright's to clean at the start of a run.
  outputDir: 'test-results/e2e',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }],
    // scripts/test.mjs sets PLAYWRIGHT_JSON_OUTPUT_NAME to count results.
    ...(process.env['PLAYWRIGHT_JSON_OUTPUT_NAME'] ? ([['json']] as const) : []),
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    acceptDownloads: true,
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});

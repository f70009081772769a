import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    // `npm run streamtap` runs out/cli/streamtap.js: built here when it is stale.
    globalSetup: ['test/built-cli.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers and child processes; two cores.
    maxWorkers: 2,
  },
});

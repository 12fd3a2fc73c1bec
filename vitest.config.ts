import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run real processes and wait for them, with generous bounds on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    // In CI, a failed test is run once more, and vitest reports it as retried: a few real-process tests are timing-
    // sensitive on a loaded 2-core machine (named in the round's closing note); a real failure fails twice.
    retry: process.env.CI ? 1 : 0,
  },
});

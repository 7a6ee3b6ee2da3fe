import { defineConfig } from 'vitest/config';

// Integration tests start real servers (embedded PostgreSQL, the gateway); give them room and
// run files in a few forks so one slow start does not serialise the suite.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

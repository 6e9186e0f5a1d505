import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/no-real-dns.ts', 'test/setup/cleanup.ts'],
    // One private PostgreSQL for the run: the storage tests run on it as well as on SQLite.
    globalSetup: ['test/setup/postgres.ts'],
    // e2e tests start real listeners and child processes; give them room on a 2-core machine
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // A private redis-server for the run when REDIS_URL is unset (REDIS_URL for the workers).
    globalSetup: ['test/support/global-setup.ts'],
    // No test worker may connect to 6379, where a developer's own Redis listens.
    setupFiles: ['test/support/no-developer-redis.ts'],
  },
});

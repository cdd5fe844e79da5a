import { defineConfig } from 'vitest/config';

// The end-to-end suite on a real Asterisk 22 (`npm run test:asterisk`): one lab (Asterisk,
// Redis, the engine, SIPp peers on loopback addresses of its own) per file, files one after the
// other. Real SIP and media take real time: every wait in the suite is on a named condition
// with a generous limit, so the limits below only bound a hung run.
export default defineConfig({
  test: {
    include: ['test/asterisk/**/*.e2e.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // e2e tests spawn real servers; two CPUs on CI machines.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});

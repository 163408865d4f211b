import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Real-data tests train small models and run 10,000-image evaluations on a 2-core CPU.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Two cores: heavy suites run one file at a time per worker, two workers.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});

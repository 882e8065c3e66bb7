import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts', 'subgraphs/**/*.test.ts', 'gateway-*/**/*.test.ts', 'schema/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration files start servers and databases of their own; two cores run two files at once.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});

import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/sequencer.ts';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads Apollo (external to vite) with graphql's CommonJS build, while vite would give our
    // code its ESM build: two graphql copies, whose GraphQLErrors fail each other's instanceof. One copy.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: [
      'lib/**/*.test.ts',
      'subgraphs/**/*.test.ts',
      'gateway-*/**/*.test.ts',
      'schema/**/*.test.ts',
      'scripts/**/*.test.ts',
      'tools/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // Integration files start servers and databases of their own; two cores run two files at once.
    pool: 'forks',
    // A worker runs file after file with the modules it already loaded (Apollo, graphql, Prisma's
    // runtime, our lib/): a fresh process per file spent about 1.7 s of CPU importing them again,
    // 107 times (measured: lib/'s 39 files 74 -> 51 CPU-s, six test/ stack files 69 -> 48). So a file
    // must leave the process as it found it: servers closed, env restored, tracing shut down.
    isolate: false,
    // Migrates and seeds the six databases once for the files that only read (test/support/seededStack.ts).
    globalSetup: ['test/support/globalSetup.ts'],
    maxWorkers: 2,
    // Slow files first, load-heavy ones apart (test/support/sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});

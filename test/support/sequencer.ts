import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order files start in when vitest has no timings of its own (a fresh clone, as in CI, where it
 * would take them in glob order and leave the slowest test/ files for the end, one core idle while
 * the last runs alone): the slow files first, longest first (a CI run's figures), so the short ones
 * fill the gaps at the end. The load-heavy files (marked) sit between others, so two of them rarely
 * share the two cores. Files not listed follow in vitest's own order (its timings, else size).
 */
const SLOW_FILES: string[] = [
  'test/start.test.ts', // ~100 s (npm start, eight processes, three times, one from scratch)
  'test/checkout-crash.test.ts', // 77 s, load
  'test/cache-processes.test.ts', // 67 s
  'test/schema-check.test.ts', // 41 s
  'test/checkout-load.test.ts', // 54 s, load
  'test/resilience.test.ts', // 40 s
  'lib/db/migrate.test.ts', // 32 s
  'test/payment-recovery.test.ts', // 29 s, load
  'test/events.test.ts', // 24 s
  'test/shutdown.test.ts', // 20 s
  'subgraphs/orders/test/checkout.test.ts', // load (100 buyers for one stock row)
  'test/reconcile.test.ts', // load
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const index = SLOW_FILES.findIndex((slow) => file.moduleId.endsWith(`/${slow}`));
      return index === -1 ? SLOW_FILES.length : index;
    };
    // A stable sort: the unlisted keep vitest's order among themselves.
    return sorted
      .map((file, i) => ({ file, i, r: rank(file) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.file);
  }
}

import { inject } from 'vitest';
import { silentLogger } from '../../lib/observability/index.ts';
import { SUBGRAPH_SERVICES } from '../../subgraphs/index.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './databases.ts';
import { startSubgraphs, type FleetOptions, type SubgraphFleet } from './subgraphs.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Database prefix of the six databases migrated and seeded once for the whole run. */
    seededDatabasePrefix: string;
  }
}

/**
 * Migrates and seeds the six services' databases once per test run, under a prefix of the run's own,
 * and removes them at the end (vitest globalSetup, so it runs once in the main process, whatever
 * the number of workers). Creating and seeding six databases takes a file 10-15 s on this machine;
 * the files that only read the demo data share these instead.
 */
export async function prepareSeededDatabases(): Promise<{ prefix: string; remove(): Promise<void> }> {
  const prefix = uniquePrefix('seeded');
  const env = databaseEnv(prefix);
  const prepared = await Promise.all(
    Object.values(SUBGRAPH_SERVICES).map((service) => service.prepare({ env, logger: silentLogger(), seedScale: 1 })),
  );
  await Promise.all(prepared.map((p) => p.close()));
  return { prefix, remove: () => dropDatabasesWithPrefix(prefix) };
}

/**
 * The six subgraphs of this file, in this process on ephemeral ports, over the run's shared seeded
 * databases. Only for files that never write (no mutation, no event, no SQL that changes a row):
 * another file reads the same rows at the same time. The servers are the file's own, so request and
 * SQL counters see only its traffic; `close` stops them and leaves the databases to the run.
 * A file that writes starts its own databases with `startSubgraphs`.
 */
export function startSeededSubgraphs(options: Pick<FleetOptions, 'logger' | 'env'> = {}): Promise<SubgraphFleet> {
  return startSubgraphs(inject('seededDatabasePrefix'), { ...options, seedScale: 0, keepDatabases: true });
}

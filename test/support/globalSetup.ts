import type { TestProject } from 'vitest/node';
import { prepareSeededDatabases } from './seededStack.ts';

/** Once per run: the shared seeded databases of `startSeededSubgraphs`, removed when the run ends. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const seeded = await prepareSeededDatabases();
  project.provide('seededDatabasePrefix', seeded.prefix);
  return () => seeded.remove();
}

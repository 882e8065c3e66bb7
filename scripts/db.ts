// `npm run db:migrate` / `npm run db:seed` [service ...]: each service's own database, one after another.
import { z } from 'zod';
import { describeTarget } from '../lib/db/index.ts';
import { createLogger } from '../lib/observability/index.ts';
import { isSubgraphName, SUBGRAPH_NAMES } from '../lib/services.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';

const [command, ...only] = process.argv.slice(2);
if (command !== 'migrate' && command !== 'seed') {
  console.error('usage: tsx scripts/db.ts migrate|seed [service ...]');
  process.exit(2);
}
const unknown = only.filter((name) => !isSubgraphName(name));
if (unknown.length) {
  console.error(`Unknown service(s): ${unknown.join(', ')}. Known: ${SUBGRAPH_NAMES.join(', ')}`);
  process.exit(2);
}
const scale = z.coerce.number().positive().max(1000).default(1).parse(process.env.SEED_SCALE);
const names = only.length ? only.filter(isSubgraphName) : SUBGRAPH_NAMES;
const logger = createLogger('db', 'warn');

let failed = false;
for (const name of names) {
  try {
    const prepared = await SUBGRAPH_SERVICES[name].prepare({ logger, seedScale: command === 'seed' ? scale : null });
    const where = describeTarget(prepared.database.target);
    await prepared.close();
    const migrations = prepared.applied.length ? `applied ${prepared.applied.join(', ')}` : 'migrations up to date';
    const seeded = prepared.seedReport ? `; inserted ${JSON.stringify(prepared.seedReport.rows)}` : '';
    console.log(`${name.padEnd(10)} ${where}: ${migrations}${seeded}`);
  } catch (error) {
    failed = true;
    console.error(`${name.padEnd(10)} FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exit(failed ? 1 : 0);

// `npm run orders:rebuild-read-model`: throws away the orders read model (Order, OrderItem, Saga,
// SagaStep) and projects it again from the event log, in one transaction. Safe while orders runs:
// saga appends wait for it, readers see the old rows until it commits.
import { describeTarget, openServiceDatabase } from '../lib/db/index.ts';
import { createLogger } from '../lib/observability/index.ts';
import { migrationsDirOf } from '../lib/subgraph/index.ts';
import { createPrisma } from '../subgraphs/orders/src/db.ts';
import { rebuildReadModel } from '../subgraphs/orders/src/readModel/rebuild.ts';

const logger = createLogger('orders-rebuild', 'warn');
const database = await openServiceDatabase('orders', { logger });
const prisma = createPrisma(database.adapter);
let code = 0;
try {
  await database.migrate(migrationsDirOf('orders'));
  const started = Date.now();
  const report = await rebuildReadModel(prisma);
  console.log(
    `orders ${describeTarget(database.target)}: rebuilt the read model from ${report.streams} streams in ${Date.now() - started} ms: ${JSON.stringify(report)}`,
  );
} catch (error) {
  code = 1;
  console.error(`orders read model rebuild FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await prisma.$disconnect();
  await database.close();
}
process.exit(code);

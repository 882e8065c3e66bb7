// `npm run reconcile [-- --repair] [--json]`: the eventual-consistency check across the orders,
// inventory and payments databases (subgraphs/orders/src/reconcile). Each database is opened
// read-only; the card processor is asked for the captures of charges payments has no payment for;
// `--repair` changes things only through inventory's and payments' own step mutations.
// Exit 0: consistent (or every finding repaired); 1: drift remains; 2: the check itself failed.
import { describeTarget, openServiceDatabase, type ServiceDatabase } from '../lib/db/index.ts';
import { createLogger } from '../lib/observability/index.ts';
import { createPrisma as createInventoryPrisma } from '../subgraphs/inventory/src/db.ts';
import { ordersConfigFromEnv } from '../subgraphs/orders/src/config.ts';
import { createPrisma as createOrdersPrisma } from '../subgraphs/orders/src/db.ts';
import { createRepairProviders, formatReport, reconcile } from '../subgraphs/orders/src/reconcile/index.ts';
import { createPrisma as createPaymentsPrisma } from '../subgraphs/payments/src/db.ts';
import {
  createCardProcessor,
  databaseLedger,
  processorConfigFromEnv,
} from '../subgraphs/payments/src/processor/index.ts';

const USAGE =
  'usage: npm run reconcile [-- --repair] [--json]   (RECONCILE_GRACE_MS: slack past a deadline, default 60000)';
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--repair' && a !== '--json');
if (unknown.length) {
  console.error(`reconcile: unknown argument ${unknown.join(' ')}\n${USAGE}`);
  process.exit(2);
}
const repair = args.includes('--repair');
const json = args.includes('--json');

const logger = createLogger('reconcile', 'warn');
const opened: ServiceDatabase[] = [];
const clients: Array<{ $disconnect(): Promise<void> }> = [];
let providers: ReturnType<typeof createRepairProviders> | null = null;
let code = 2;
try {
  const graceMs = Number(process.env.RECONCILE_GRACE_MS ?? 60_000);
  if (!Number.isInteger(graceMs) || graceMs < 0)
    throw new Error('RECONCILE_GRACE_MS must be a whole number of milliseconds, 0 or more');
  const config = ordersConfigFromEnv(process.env);
  const open = async (service: string) => {
    const database = await openServiceDatabase(service, { logger, poolSize: 2, readOnly: true });
    opened.push(database);
    return database;
  };
  const [ordersDb, inventoryDb, paymentsDb] = [await open('orders'), await open('inventory'), await open('payments')];
  const orders = createOrdersPrisma(ordersDb.adapter);
  const inventory = createInventoryPrisma(inventoryDb.adapter);
  const payments = createPaymentsPrisma(paymentsDb.adapter);
  clients.push(orders, inventory, payments);
  if (repair) providers = createRepairProviders(config, logger);
  // The simulated processor's books live beside payments' tables; a real processor client goes here.
  const processor = createCardProcessor(processorConfigFromEnv(process.env), { ledger: databaseLedger(payments) });
  const report = await reconcile(
    { orders, inventory, payments, processor, providers: providers ?? undefined },
    { now: new Date(), deadlineMs: config.saga.deadlineMs, graceMs, repair },
  );
  if (json) {
    console.log(JSON.stringify({ databases: opened.map((d) => describeTarget(d.target)), ...report }, null, 2));
  } else {
    console.log(formatReport(report));
  }
  code = report.consistent ? 0 : 1;
} catch (error) {
  console.error(`reconcile FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await providers?.close();
  for (const client of clients) await client.$disconnect();
  for (const database of opened) await database.close();
}
process.exit(code);

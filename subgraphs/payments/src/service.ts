import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedPayments } from '../../../prisma/payments/seed.ts';
import { createPrisma } from './db.ts';
import { startPaymentsWorkers } from './events/workers.ts';
import { buildServer } from './server.ts';

export const paymentsService = defineSubgraph({
  name: 'payments',
  createPrisma,
  buildServer,
  seed: seedPayments,
  startWorkers: startPaymentsWorkers,
});

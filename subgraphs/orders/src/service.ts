import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedOrders } from '../../../prisma/orders/seed.ts';
import { ordersPoolSizeFromEnv } from './config.ts';
import { createPrisma } from './db.ts';
import { startOrdersWorkers } from './saga/workers.ts';
import { buildServer } from './server.ts';

export const ordersService = defineSubgraph({
  name: 'orders',
  createPrisma,
  buildServer,
  seed: seedOrders,
  startWorkers: startOrdersWorkers,
  poolSize: ordersPoolSizeFromEnv,
});

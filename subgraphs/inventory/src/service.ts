import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedInventory } from '../../../prisma/inventory/seed.ts';
import { createPrisma } from './db.ts';
import { startInventoryWorkers } from './events/workers.ts';
import { buildServer } from './server.ts';

export const inventoryService = defineSubgraph({
  name: 'inventory',
  createPrisma,
  buildServer,
  seed: seedInventory,
  startWorkers: startInventoryWorkers,
});

import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedProducts } from '../../../prisma/products/seed.ts';
import { createPrisma } from './db.ts';
import { startProductsWorkers } from './events/workers.ts';
import { buildServer } from './server.ts';

export const productsService = defineSubgraph({
  name: 'products',
  createPrisma,
  buildServer,
  seed: seedProducts,
  startWorkers: startProductsWorkers,
});

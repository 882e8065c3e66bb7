import type { SubgraphName } from '../lib/services.ts';
import type { SubgraphService } from '../lib/subgraph/index.ts';
import { inventoryService } from './inventory/src/service.ts';
import { ordersService } from './orders/src/service.ts';
import { paymentsService } from './payments/src/service.ts';
import { productsService } from './products/src/service.ts';
import { reviewsService } from './reviews/src/service.ts';
import { usersService } from './users/src/service.ts';

/** Every domain subgraph, for scripts and cross-service tests (subgraphs never import each other). */
export const SUBGRAPH_SERVICES: Record<SubgraphName, SubgraphService> = {
  users: usersService,
  products: productsService,
  inventory: inventoryService,
  orders: ordersService,
  payments: paymentsService,
  reviews: reviewsService,
};

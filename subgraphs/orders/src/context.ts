import type { SubgraphContext } from '../../../lib/subgraph/index.ts';
import type { OrdersPrisma } from './db.ts';
import type { Loaders } from './loaders.ts';
import type { OrdersRuntime } from './runtime.ts';

export type Context = SubgraphContext<OrdersPrisma, Loaders> & { orders: OrdersRuntime };

import type { SubgraphContext } from '../../../lib/subgraph/index.ts';
import type { InventoryPrisma } from './db.ts';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<InventoryPrisma, Loaders>;

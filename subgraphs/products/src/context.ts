import type { SubgraphContext } from '../../../lib/subgraph/index.ts';
import type { ProductsPrisma } from './db.ts';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<ProductsPrisma, Loaders>;

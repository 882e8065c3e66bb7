import type { SubgraphContext } from '../../../lib/subgraph/index.ts';
import type { ReviewsPrisma } from './db.ts';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<ReviewsPrisma, Loaders>;

import type { SubgraphContext } from '../../../lib/subgraph/index.ts';
import type { PaymentsPrisma } from './db.ts';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<PaymentsPrisma, Loaders>;

import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { productsService } from './service.ts';

await runSubgraphProcess(productsService);

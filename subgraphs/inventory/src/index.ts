import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { inventoryService } from './service.ts';

await runSubgraphProcess(inventoryService);

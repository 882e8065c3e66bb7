import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { ordersService } from './service.ts';

await runSubgraphProcess(ordersService);

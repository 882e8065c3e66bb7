import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { paymentsService } from './service.ts';

await runSubgraphProcess(paymentsService);

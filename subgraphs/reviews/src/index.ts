import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { reviewsService } from './service.ts';

await runSubgraphProcess(reviewsService);

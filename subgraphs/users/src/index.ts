import { runSubgraphProcess } from '../../../lib/subgraph/index.ts';
import { usersService } from './service.ts';

await runSubgraphProcess(usersService);

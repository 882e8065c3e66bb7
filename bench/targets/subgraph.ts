// One domain subgraph in its own process for the bench, on the bench's databases: counts the GraphQL
// requests it receives and the SQL statements its Prisma client sends, for the parent to read.
import type { IncomingMessage } from 'node:http';
import { silentLogger } from '../../lib/observability/index.ts';
import { isSubgraphName } from '../../lib/services.ts';
import { SUBGRAPH_SERVICES } from '../../subgraphs/index.ts';
import { serveParent } from '../ipc.ts';

const name = process.argv[2] ?? '';
if (!isSubgraphName(name)) throw new Error(`unknown subgraph "${name}"`);
const server = await SUBGRAPH_SERVICES[name].start({
  env: process.env,
  port: 0,
  logger: silentLogger(),
  seedScale: Number(process.env.SEED_SCALE ?? 1),
});
const counts = { requests: 0, statements: 0 };
server.httpServer.on('request', (req: IncomingMessage) => {
  if (req.url?.startsWith('/graphql')) counts.requests += 1;
});
server.prisma.$on('query', () => {
  counts.statements += 1;
});
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
serveParent({ name, url: server.url }, { counts: () => ({ ...counts }) });

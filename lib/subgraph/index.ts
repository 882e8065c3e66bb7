export { defineSubgraph, migrationsDirOf, type SubgraphModule, type SubgraphDeps, type SubgraphServer, type SeedReport, type ServicePrisma } from './module.ts';
export { startSubgraph, type StartedSubgraph, type StartOptions } from './start.ts';
export { runSubgraphProcess } from './runProcess.ts';
export { createSubgraphApollo } from './apollo.ts';
export { subgraphContextFactory, type SubgraphContext } from './context.ts';

export {
  defineSubgraph,
  migrationsDirOf,
  type SubgraphModule,
  type SubgraphService,
  type SubgraphDeps,
  type SubgraphServer,
  type SeedReport,
  type ServicePrisma,
  type WorkerDeps,
  type RunningWorkers,
} from './module.ts';
export {
  startSubgraph,
  prepareDatabase,
  type StartedSubgraph,
  type StartOptions,
  type PrepareOptions,
  type PreparedDatabase,
} from './start.ts';
export { runSubgraphProcess } from './runProcess.ts';
export { createSubgraphApollo } from './apollo.ts';
export { subgraphContextFactory, type SubgraphContext } from './context.ts';

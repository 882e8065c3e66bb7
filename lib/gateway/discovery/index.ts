export { parseInstanceUrls } from './instanceUrls.ts';
export { SubgraphInstance, SubgraphInstances, type InstanceStats } from './subgraphInstances.ts';

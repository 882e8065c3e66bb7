export { gatewayConfigFromEnv, type GatewayConfig } from './config.ts';
export { createGatewayApollo, startGateway, subgraphReadiness } from './gateway.ts';
export { runGatewayProcess } from './runProcess.ts';
export { SubgraphClient } from './subgraphClient.ts';
export type { GatewayContext } from './context.ts';

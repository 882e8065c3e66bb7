/** The domain subgraphs and the fixed default ports every doc, test and deploy file uses. */
export const SUBGRAPHS = {
  users: { port: 4101 },
  products: { port: 4102 },
  inventory: { port: 4103 },
  orders: { port: 4104 },
  payments: { port: 4105 },
  reviews: { port: 4106 },
} as const;

export type SubgraphName = keyof typeof SUBGRAPHS;

export const SUBGRAPH_NAMES = Object.keys(SUBGRAPHS) as SubgraphName[];

export const GATEWAYS = {
  web: { port: 4000 },
  mobile: { port: 4001 },
} as const;

export type GatewayName = keyof typeof GATEWAYS;

export function isSubgraphName(value: string): value is SubgraphName {
  return value in SUBGRAPHS;
}

/** `USERS_PORT`, `GATEWAY_WEB_PORT`...: the env variable that moves a process to another port. */
export function portVariable(name: SubgraphName | `gateway-${GatewayName}`): string {
  return `${name.toUpperCase().replace('-', '_')}_PORT`;
}

/** `USERS_URL`...: where the gateways reach a subgraph. */
export function urlVariable(name: SubgraphName): string {
  return `${name.toUpperCase()}_URL`;
}

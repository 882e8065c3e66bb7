import { GATEWAYS, SUBGRAPH_NAMES, type GatewayName, type SubgraphName } from './services.ts';

/** Every long-running process of the stack: six subgraphs and two gateways. */
export type ProcessName = SubgraphName | `gateway-${GatewayName}`;

export const PROCESS_NAMES: ProcessName[] = [
  ...SUBGRAPH_NAMES,
  ...(Object.keys(GATEWAYS) as GatewayName[]).map((name) => `gateway-${name}` as const),
];

export function isProcessName(value: string): value is ProcessName {
  return (PROCESS_NAMES as string[]).includes(value);
}

/** A process's entry file, relative to the repository root (what `npm start` and the image run). */
export function processEntry(name: ProcessName): string {
  return name.startsWith('gateway-') ? `${name}/src/index.ts` : `subgraphs/${name}/src/index.ts`;
}

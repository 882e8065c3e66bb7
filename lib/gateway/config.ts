import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SUPERGRAPH_PATH } from '../composition.ts';
import { GATEWAYS, portVariable, SUBGRAPH_NAMES, SUBGRAPHS, urlVariable, type GatewayName, type SubgraphName } from '../services.ts';

export interface GatewayConfig {
  name: GatewayName;
  port: number;
  host: string;
  supergraphSdl: string;
  subgraphUrls: Record<SubgraphName, string>;
  maxBodyBytes: number;
}

/** Reads a gateway's configuration from env once, failing fast with the variable's name. */
export function gatewayConfigFromEnv(name: GatewayName, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const shape = z.object({
    [portVariable(`gateway-${name}`)]: z.coerce.number().int().min(0).max(65535).default(GATEWAYS[name].port),
    HOST: z.string().default('127.0.0.1'),
    SUPERGRAPH_PATH: z.string().default(SUPERGRAPH_PATH),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
    ...Object.fromEntries(
      SUBGRAPH_NAMES.map((s) => [urlVariable(s), z.string().url().default(`http://127.0.0.1:${SUBGRAPHS[s].port}/graphql`)]),
    ),
  });
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid gateway-${name} configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const values = parsed.data as Record<string, string | number>;
  return {
    name,
    port: Number(values[portVariable(`gateway-${name}`)]),
    host: String(values.HOST),
    supergraphSdl: readFileSync(String(values.SUPERGRAPH_PATH), 'utf8'),
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((s) => [s, String(values[urlVariable(s)])])) as Record<SubgraphName, string>,
    maxBodyBytes: Number(values.MAX_BODY_BYTES),
  };
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS, SUBGRAPH_NAMES, type GatewayName, type SubgraphName } from './services.ts';

export const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SUPERGRAPH_PATH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));

/** The supergraph a gateway serves: the domain subgraphs plus its own BFF subgraph. */
export function gatewaySupergraphPath(gateway: GatewayName): string {
  return fileURLToPath(new URL(`../schema/supergraph-${gateway}.graphql`, import.meta.url));
}

export function bffSchemaPath(gateway: GatewayName): string {
  return fileURLToPath(new URL(`../gateway-${gateway}/bff/schema.graphql`, import.meta.url));
}

/** The BFF subgraph's name in a gateway's supergraph; it is served in-process, never over HTTP. */
export function bffSubgraphName(gateway: GatewayName): string {
  return `bff-${gateway}`;
}

export function subgraphSchemaPath(name: SubgraphName): string {
  return fileURLToPath(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url));
}

export async function readSubgraphSdl(name: SubgraphName): Promise<string> {
  return readFile(subgraphSchemaPath(name), 'utf8');
}

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

export type CompositionOutcome = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/**
 * The routing URLs written into the supergraph are the local defaults; gateways replace them with
 * their configured instances, so the committed file does not depend on where anything runs.
 */
export async function domainSubgraphSources(): Promise<SubgraphSource[]> {
  return Promise.all(
    SUBGRAPH_NAMES.map(async (name) => ({
      name,
      url: `http://127.0.0.1:${SUBGRAPHS[name].port}/graphql`,
      sdl: await readSubgraphSdl(name),
    })),
  );
}

export function compose(sources: SubgraphSource[]): CompositionOutcome {
  const result = composeServices(sources.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) return { ok: false, errors: result.errors.map((e) => e.message) };
  return { ok: true, supergraphSdl: result.supergraphSdl };
}

/** The sources of a gateway's supergraph: the six domain subgraphs and that gateway's BFF. */
export async function gatewaySubgraphSources(gateway: GatewayName): Promise<SubgraphSource[]> {
  const bff = {
    name: bffSubgraphName(gateway),
    url: `http://in-process.invalid/${bffSubgraphName(gateway)}`,
    sdl: await readFile(bffSchemaPath(gateway), 'utf8'),
  };
  return [...(await domainSubgraphSources()), bff];
}

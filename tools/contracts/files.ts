import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { gatewaySupergraphPath, readSubgraphSdl, ROOT_DIR } from '../../lib/composition.ts';
import { operationsDir } from '../../lib/gateway/paths.ts';
import { GATEWAYS, SUBGRAPH_NAMES, type GatewayName, type SubgraphName } from '../../lib/services.ts';
import { consumerLabel, isGeneratedContract, parseContract, printContract, type Contract } from './contract.ts';
import { deriveContracts, type PlannedConsumer } from './derive.ts';

export function contractsDir(subgraph: SubgraphName): string {
  return join(ROOT_DIR, 'subgraphs', subgraph, 'contracts');
}

/** The consumers whose contracts `npm run contracts` writes; anyone else's files are left alone. */
export const GENERATED_CONSUMERS: readonly string[] = (Object.keys(GATEWAYS) as GatewayName[]).map(
  (g) => `gateway-${g}`,
);

function isGeneratedConsumerFile(fileName: string): boolean {
  return GENERATED_CONSUMERS.some((consumer) => fileName.startsWith(`${consumer}.`));
}

/**
 * The contracts committed for one subgraph, generated and hand-written alike. Synchronous so a test
 * file can declare one test per contract while vitest collects it.
 */
export function readContracts(subgraph: SubgraphName): Contract[] {
  const dir = contractsDir(subgraph);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => parseContract(readFileSync(join(dir, f), 'utf8'), relative(ROOT_DIR, join(dir, f)), subgraph));
}

/** A subgraph's own schema, as `buildSubgraphSchema` serves it (with `_entities` and `_service`). */
export function subgraphSchema(sdl: string): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(sdl) });
}

/** Each operation's `variables` in the gateway's budgets.json (absent file or entry: none). */
async function representativeVariables(dir: string): Promise<Record<string, Record<string, unknown>>> {
  const path = join(dir, 'budgets.json');
  if (!existsSync(path)) return {};
  const budgets: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (typeof budgets !== 'object' || budgets === null) return {};
  const variables: Record<string, Record<string, unknown>> = {};
  for (const [name, budget] of Object.entries(budgets as Record<string, unknown>)) {
    const values: unknown =
      typeof budget === 'object' && budget !== null && 'variables' in budget ? budget.variables : undefined;
    if (typeof values === 'object' && values !== null && !Array.isArray(values))
      variables[name] = Object.fromEntries(Object.entries(values));
  }
  return variables;
}

async function gatewayConsumer(gateway: GatewayName): Promise<PlannedConsumer> {
  const dir = operationsDir(gateway);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.graphql')).sort();
  const variables = await representativeVariables(dir);
  return {
    consumer: `gateway-${gateway}`,
    supergraphSdl: await readFile(gatewaySupergraphPath(gateway), 'utf8'),
    operations: await Promise.all(
      files.map(async (f) => ({
        source: relative(ROOT_DIR, join(dir, f)),
        document: parse(await readFile(join(dir, f), 'utf8')),
        variables,
      })),
    ),
  };
}

/** The gateways' contracts as the committed supergraphs and client operations produce them now. */
export async function generateContracts(): Promise<Contract[]> {
  const schemas = Object.fromEntries(
    await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, subgraphSchema(await readSubgraphSdl(name))] as const)),
  ) as Record<SubgraphName, GraphQLSchema>;
  const consumers = await Promise.all((Object.keys(GATEWAYS) as GatewayName[]).map(gatewayConsumer));
  return consumers.flatMap((consumer) => deriveContracts(consumer, schemas));
}

/** How a committed generated contract differs from what generation gives now. */
export interface ContractDrift {
  file: string;
  consumer: string;
  operationName: string;
  change: 'missing' | 'changed' | 'obsolete';
}

export function describeDrift(drift: ContractDrift): string {
  const what = { missing: 'is not committed', changed: 'is out of date', obsolete: 'is no longer sent' }[drift.change];
  return `${consumerLabel(drift)}: ${drift.file} ${what}`;
}

async function committedGeneratedFiles(subgraph: SubgraphName): Promise<Map<string, string>> {
  const dir = contractsDir(subgraph);
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const f of (await readdir(dir)).filter((name) => name.endsWith('.graphql')).sort()) {
    const text = await readFile(join(dir, f), 'utf8');
    if (isGeneratedConsumerFile(f) && isGeneratedContract(text)) files.set(relative(ROOT_DIR, join(dir, f)), text);
  }
  return files;
}

/** Compares the committed generated contracts with fresh ones; empty when they agree. */
export async function contractDrift(fresh: Contract[]): Promise<ContractDrift[]> {
  const drift: ContractDrift[] = [];
  const expected = new Map(fresh.map((c) => [c.file, c]));
  for (const subgraph of SUBGRAPH_NAMES) {
    const committed = await committedGeneratedFiles(subgraph);
    for (const contract of fresh.filter((c) => c.subgraph === subgraph)) {
      const text = committed.get(contract.file);
      const change =
        text === undefined ? 'missing' : text === printContract(contract, { generated: true }) ? null : 'changed';
      if (change)
        drift.push({ file: contract.file, consumer: contract.consumer, operationName: contract.operationName, change });
    }
    for (const [file, text] of committed) {
      if (expected.has(file)) continue;
      const stale = parseContract(text, file, subgraph);
      drift.push({ file, consumer: stale.consumer, operationName: stale.operationName, change: 'obsolete' });
    }
  }
  return drift;
}

/** Writes the fresh contracts and removes generated ones no plan sends any more; returns what changed. */
export async function writeContracts(fresh: Contract[]): Promise<ContractDrift[]> {
  const drift = await contractDrift(fresh);
  const byFile = new Map(fresh.map((c) => [c.file, c]));
  for (const change of drift) {
    const path = join(ROOT_DIR, change.file);
    const contract = byFile.get(change.file);
    if (contract) {
      await mkdir(contractsDir(contract.subgraph), { recursive: true });
      await writeFile(path, printContract(contract, { generated: true }));
    } else {
      await rm(path);
    }
  }
  return drift;
}

import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  bffSchemaPath,
  bffSubgraphName,
  domainSubgraphSources,
  gatewaySubgraphSources,
  gatewaySupergraphPath,
  ROOT_DIR,
  SUPERGRAPH_PATH,
  subgraphSchemaPath,
  type SubgraphSource,
} from '../../lib/composition.ts';
import { MOBILE_MANIFEST_PATH, MOBILE_OPERATIONS_DIR, operationsDir } from '../../lib/gateway/paths.ts';
import { isSubgraphName, type GatewayName, type SubgraphName } from '../../lib/services.ts';
import { SchemaCheckSetupError, type SupergraphTarget } from './types.ts';

/**
 * The check runs on any copy of the repository (a temp dir in tests, a CI checkout), while
 * lib/composition.ts and lib/gateway/paths.ts name files next to this code. Paths are taken from
 * them relative to this repository and re-rooted, so the layout has one definition.
 */
function repoRelative(absolute: string): string {
  return relative(ROOT_DIR, absolute).split(sep).join('/');
}

export function supergraphFile(target: SupergraphTarget): string {
  return repoRelative(target === 'domain' ? SUPERGRAPH_PATH : gatewaySupergraphPath(target));
}

export function supergraphLabel(target: SupergraphTarget): string {
  return target === 'domain' ? 'domain supergraph' : `gateway-${target} supergraph`;
}

export function operationsFolder(gateway: GatewayName): string {
  return repoRelative(operationsDir(gateway));
}

export const MOBILE_OPERATIONS_FOLDER = repoRelative(MOBILE_OPERATIONS_DIR);
export const MOBILE_MANIFEST_FILE = repoRelative(MOBILE_MANIFEST_PATH);
export const APPROVED_CHANGES_FILE = 'schema/approved-changes';

export function budgetsFile(gateway: GatewayName): string {
  return `${operationsFolder(gateway)}/budgets.json`;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/** A file the check needs to run at all: unreadable means exit code 2, not a failed check. */
export async function readRequired(root: string, file: string): Promise<string> {
  try {
    return await readFile(join(root, file), 'utf8');
  } catch (error) {
    throw new SchemaCheckSetupError(
      `cannot read ${file} under ${root}: ${isErrnoException(error) ? error.code : String(error)}`,
    );
  }
}

/** A file whose absence is itself a finding (a committed output never written): null when missing. */
export async function readOptional(root: string, file: string): Promise<string | null> {
  try {
    return await readFile(join(root, file), 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return null;
    throw new SchemaCheckSetupError(
      `cannot read ${file} under ${root}: ${isErrnoException(error) ? error.code : String(error)}`,
    );
  }
}

export function subgraphSchemaFile(name: SubgraphName): string {
  return repoRelative(subgraphSchemaPath(name));
}

export function bffSchemaFile(gateway: GatewayName): string {
  return repoRelative(bffSchemaPath(gateway));
}

function sdlFileOf(source: SubgraphSource, target: SupergraphTarget): string {
  if (isSubgraphName(source.name)) return subgraphSchemaFile(source.name);
  if (target !== 'domain' && source.name === bffSubgraphName(target)) return bffSchemaFile(target);
  throw new SchemaCheckSetupError(`no schema file known for subgraph ${source.name}`);
}

/**
 * The subgraphs a supergraph composes, with the SDLs read under `root`. Names and routing URLs come
 * from lib/composition.ts, so a fresh composition here is byte-for-byte what `npm run compose` writes.
 */
export async function subgraphSources(root: string, target: SupergraphTarget): Promise<SubgraphSource[]> {
  const template = target === 'domain' ? await domainSubgraphSources() : await gatewaySubgraphSources(target);
  return Promise.all(
    template.map(async (source) => ({ ...source, sdl: await readRequired(root, sdlFileOf(source, target)) })),
  );
}

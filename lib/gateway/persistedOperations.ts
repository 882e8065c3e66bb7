import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';

/** Apollo's persisted query manifest format, so Apollo tooling (and Router) can read ours. */
export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: PersistedOperation[];
}

export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export function operationId(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Compiles `<dir>/*.graphql` into a manifest: one named operation per file (with the fragments it
 * uses in the same file), printed canonically so the id does not depend on formatting or comments.
 */
export async function buildManifest(dir: string): Promise<PersistedQueryManifest> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.graphql')).sort();
  const operations = await Promise.all(
    files.map(async (file) => {
      const document = parse(await readFile(join(dir, file), 'utf8'));
      const definitions = document.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      const [operation, ...others] = definitions;
      if (!operation || others.length || !operation.name) {
        throw new Error(`${file}: a persisted operation file holds exactly one named operation`);
      }
      const body = print(document);
      return { id: operationId(body), name: operation.name.value, type: operation.operation, body };
    }),
  );
  const names = new Set<string>();
  for (const { name } of operations) {
    if (names.has(name)) throw new Error(`Two persisted operations are named ${name}`);
    names.add(name);
  }
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

export function isManifest(value: unknown): value is PersistedQueryManifest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PersistedQueryManifest>;
  return (
    candidate.format === 'apollo-persisted-query-manifest' &&
    candidate.version === 1 &&
    Array.isArray(candidate.operations)
  );
}

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GraphQLError,
  Kind,
  parse,
  separateOperations,
  type DocumentNode,
  type OperationDefinitionNode,
} from 'graphql';
import type { GatewayName } from '../../lib/services.ts';
import { SchemaCheckSetupError } from './types.ts';
import { operationsFolder, readRequired } from './workspace.ts';

export interface ClientOperation {
  gateway: GatewayName;
  /** Repository-relative path of the file that holds it. */
  file: string;
  name: string;
  definition: OperationDefinitionNode;
  /** The operation with just the fragments it uses: what a client sends, what is planned and costed. */
  document: DocumentNode;
}

export interface OperationFile {
  file: string;
  document: DocumentNode | null;
  /** Why the file is not a usable operation document (syntax error, anonymous operation). */
  problems: string[];
}

export interface ClientOperations {
  gateway: GatewayName;
  files: OperationFile[];
  operations: ClientOperation[];
}

async function graphqlFiles(root: string, folder: string): Promise<string[]> {
  try {
    const entries = await readdir(join(root, folder), { recursive: true });
    return entries
      .filter((entry) => entry.endsWith('.graphql'))
      .map((entry) => `${folder}/${entry.split('\\').join('/')}`)
      .sort();
  } catch (error) {
    throw new SchemaCheckSetupError(
      `cannot list ${folder} under ${root}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function parseFile(file: string, source: string): OperationFile {
  try {
    return { file, document: parse(source), problems: [] };
  } catch (error) {
    const where =
      error instanceof GraphQLError && error.locations?.[0]
        ? `:${error.locations[0].line}:${error.locations[0].column}`
        : '';
    return {
      file,
      document: null,
      problems: [`${file}${where}: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
}

/** Every `*.graphql` under a gateway's operations folder, parsed, one entry per named operation. */
export async function loadClientOperations(root: string, gateway: GatewayName): Promise<ClientOperations> {
  const files: OperationFile[] = [];
  const operations: ClientOperation[] = [];
  for (const file of await graphqlFiles(root, operationsFolder(gateway))) {
    const parsed = parseFile(file, await readRequired(root, file));
    files.push(parsed);
    if (!parsed.document) continue;
    const separated = separateOperations(parsed.document);
    for (const definition of parsed.document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const name = definition.name?.value;
      const document = name ? separated[name] : undefined;
      if (!name || !document) {
        parsed.problems.push(
          `${file}:${definition.loc?.startToken.line ?? 1}: an anonymous operation; client operations need a name (budgets and the manifest key on it)`,
        );
        continue;
      }
      operations.push({ gateway, file, name, definition, document });
    }
  }
  return { gateway, files, operations };
}

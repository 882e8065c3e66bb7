import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';

/**
 * The operation names a gateway shows in its metrics as they are: those of the client's registered
 * operations (`<gateway>/operations/*.graphql`, which mobile's manifest is compiled from). A missing
 * folder gives none: every named operation is then `other`.
 */
export function registeredOperationNames(dir: string): Set<string> {
  const names = new Set<string>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.graphql'));
  } catch {
    return names;
  }
  for (const file of files) {
    for (const definition of parse(readFileSync(join(dir, file), 'utf8')).definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}

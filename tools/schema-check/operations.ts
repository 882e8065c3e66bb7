import { Kind, separateOperations, validate, type DefinitionNode, type DocumentNode, type GraphQLError } from 'graphql';
import type { GatewayName } from '../../lib/services.ts';
import type { ClientOperations } from './clientOperations.ts';
import type { FreshSupergraphs } from './supergraphs.ts';
import { outcomeOf, type CheckOutcome, type Finding } from './types.ts';
import { supergraphLabel } from './workspace.ts';

/** Which operation (or fragment, and the operations that use it) an error points into. */
function ownerOf(error: GraphQLError, document: DocumentNode): string | null {
  const offset = error.nodes?.[0]?.loc?.start;
  if (offset === undefined) return null;
  const owner = document.definitions.find((d: DefinitionNode) => d.loc && d.loc.start <= offset && offset < d.loc.end);
  if (owner?.kind === Kind.OPERATION_DEFINITION) return `operation ${owner.name?.value ?? '(anonymous)'}`;
  if (owner?.kind === Kind.FRAGMENT_DEFINITION) {
    const fragment = owner.name.value;
    const users = Object.entries(separateOperations(document))
      .filter(([, doc]) =>
        doc.definitions.some((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === fragment),
      )
      .map(([name]) => name);
    return `fragment ${fragment} (used by ${users.length ? users.join(', ') : 'no operation'})`;
  }
  return null;
}

function validateGateway(gateway: GatewayName, supergraphs: FreshSupergraphs, loaded: ClientOperations): Finding[] {
  const findings: Finding[] = [];
  for (const { problems } of loaded.files)
    for (const problem of problems) findings.push({ level: 'error', message: problem });

  const seen = new Map<string, string>();
  for (const { name, file } of loaded.operations) {
    const first = seen.get(name);
    if (first)
      findings.push({
        level: 'error',
        message: `gateway-${gateway}: operation ${name} is defined twice (${first} and ${file})`,
      });
    else seen.set(name, file);
  }

  const schema = supergraphs.apiSchema(gateway);
  if (!schema) {
    findings.push({
      level: 'info',
      message: `gateway-${gateway}: operations not validated (the ${supergraphLabel(gateway)} did not compose)`,
    });
    return findings;
  }
  let invalid = 0;
  for (const { file, document } of loaded.files) {
    if (!document) continue;
    const errors = validate(schema, document);
    if (errors.length) invalid++;
    for (const error of errors) {
      const location = error.locations?.[0];
      const owner = ownerOf(error, document);
      findings.push({
        level: 'error',
        message: `${file}${location ? `:${location.line}:${location.column}` : ''}${owner ? ` ${owner}` : ''}: ${error.message} (against the ${supergraphLabel(gateway)})`,
      });
    }
  }
  const valid = loaded.operations.length;
  if (!invalid)
    findings.push({
      level: 'info',
      message: `gateway-${gateway}: ${valid} operation(s) in ${loaded.files.length} file(s) valid against the ${supergraphLabel(gateway)}`,
    });
  return findings;
}

/**
 * Check 4: every client operation validates against its gateway's API schema, so removing or
 * retyping a field a client still queries fails here with the file, operation and field named,
 * even when no other code uses that field.
 */
export function checkClientOperations(
  supergraphs: FreshSupergraphs,
  operations: ReadonlyMap<GatewayName, ClientOperations>,
): CheckOutcome {
  const findings: Finding[] = [];
  let total = 0;
  for (const [gateway, loaded] of operations) {
    total += loaded.operations.length;
    findings.push(...validateGateway(gateway, supergraphs, loaded));
  }
  const errors = findings.filter((f) => f.level === 'error').length;
  if (![...operations.keys()].some((g) => supergraphs.apiSchema(g)) && !errors) {
    return { status: 'skip', summary: 'no gateway supergraph composed to validate against', findings };
  }
  return outcomeOf(findings, {
    pass: `${total} client operation(s) valid`,
    fail: `${errors} problem(s) in client operations`,
  });
}

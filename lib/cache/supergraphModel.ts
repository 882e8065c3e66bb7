import {
  buildASTSchema,
  Kind,
  parse,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';

/**
 * What the caches need to know about a supergraph: its schema (to walk subgraph fetches with
 * types), each subgraph's entity keys (to ask for them and tag entries), and which entity fields
 * may be served stale (`@staleIfError`, composed into the supergraph with @composeDirective).
 */
export interface SupergraphModel {
  schema: GraphQLSchema;
  /** The key fields of `type` in `subgraph` (simple keys only), or null when it is no entity there. */
  keyFields(subgraph: string, type: string): readonly string[] | null;
  /** Whether `type.field` may be answered from a stale copy when its subgraph fails. */
  allowsStale(type: string, field: string): boolean;
}

function argument(directive: DirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value && (value.kind === Kind.STRING || value.kind === Kind.ENUM) ? value.value : undefined;
}

/** `"id"` or `"sku region"`: top-level fields only; a nested key (`"owner { id }"`) is not handled and gives null. */
function simpleKey(fields: string): string[] | null {
  const selection = parse(`{ ${fields} }`).definitions[0];
  if (selection?.kind !== Kind.OPERATION_DEFINITION) return null;
  const names: string[] = [];
  for (const s of selection.selectionSet.selections) {
    if (s.kind !== Kind.FIELD || s.selectionSet || s.alias) return null;
    names.push(s.name.value);
  }
  return names.length ? names : null;
}

export function supergraphModel(supergraphSdl: string, staleDirective = 'staleIfError'): SupergraphModel {
  const document: DocumentNode = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const keys = new Map<string, Map<string, string[]>>();
  const staleFields = new Set<string>();
  const staleTypes = new Set<string>();

  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const graph = value.directives?.find((d) => d.name.value === 'join__graph');
        const name = graph && argument(graph, 'name');
        if (name) graphNames.set(value.name.value, name);
      }
    }
  }
  const objects = document.definitions.filter(
    (d): d is ObjectTypeDefinitionNode | ObjectTypeExtensionNode =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION,
  );
  for (const type of objects) {
    const typeName = type.name.value;
    const joins = type.directives?.filter((d) => d.name.value === 'join__type') ?? [];
    for (const join of joins) {
      const graph = argument(join, 'graph');
      const key = argument(join, 'key');
      const subgraph = graph && graphNames.get(graph);
      if (!subgraph || !key) continue;
      const byType = keys.get(subgraph) ?? new Map<string, string[]>();
      const fields = simpleKey(key);
      if (fields && !byType.has(typeName)) byType.set(typeName, fields);
      keys.set(subgraph, byType);
    }
    if (type.directives?.some((d) => d.name.value === staleDirective)) {
      // Composition merges a type's directives across subgraphs, so on a shared type the gateway could
      // not tell which subgraph meant it: refuse, rather than serve another subgraph's fields stale.
      if (joins.length > 1)
        throw new Error(
          `@${staleDirective} on type ${typeName}, which ${joins.length} subgraphs define: put it on its fields instead`,
        );
      staleTypes.add(typeName);
    }
    for (const field of type.fields ?? []) {
      if (field.directives?.some((d) => d.name.value === staleDirective))
        staleFields.add(`${typeName}.${field.name.value}`);
    }
  }

  return {
    schema: buildASTSchema(document, { assumeValidSDL: true }),
    keyFields: (subgraph, type) => keys.get(subgraph)?.get(type) ?? null,
    allowsStale: (type, field) => staleTypes.has(type) || staleFields.has(`${type}.${field}`),
  };
}

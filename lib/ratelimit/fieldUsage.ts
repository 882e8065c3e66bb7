import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface FieldUsage {
  /** Root fields the operation selects, `__typename` aside: what a mutation spends from its budget. */
  rootFields: number;
  /** How many times the operation selects each watched field (by schema coordinate, `Mutation.addReview`). */
  fields: Map<string, number>;
}

interface Walk {
  schema: GraphQLSchema;
  watched: ReadonlySet<string>;
  fragments: Map<string, FragmentDefinitionNode>;
  expanding: Set<string>;
  /** Whether a watched field can sit below the root, so nested selections must be walked at all. */
  deep: boolean;
  usage: FieldUsage;
}

function walk(state: Walk, parent: GraphQLCompositeType, selectionSet: SelectionSetNode, atRoot: boolean): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      if (atRoot) state.usage.rootFields++;
      const coordinate = `${parent.name}.${name}`;
      if (state.watched.has(coordinate))
        state.usage.fields.set(coordinate, (state.usage.fields.get(coordinate) ?? 0) + 1);
      if (!state.deep || !selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[name];
      const type = field ? getNamedType(field.type) : undefined;
      if (type && isCompositeType(type)) walk(state, type, selection.selectionSet, false);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value;
      const type = typeName ? state.schema.getType(typeName) : parent;
      if (type && isCompositeType(type)) walk(state, type, selection.selectionSet, atRoot);
    } else {
      const name = selection.name.value;
      const fragment = state.fragments.get(name);
      // A fragment cycle is invalid GraphQL, but counting must never loop on one.
      if (!fragment || state.expanding.has(name)) continue;
      const type = state.schema.getType(fragment.typeCondition.name.value);
      if (!type || !isCompositeType(type)) continue;
      state.expanding.add(name);
      walk(state, type, fragment.selectionSet, atRoot);
      state.expanding.delete(name);
    }
  }
}

/**
 * Counts an operation's root fields and its selections of the watched fields, statically: each
 * occurrence counts, so aliases (`a: addReview b: addReview`) and fragments spread twice count twice.
 * A watched field below a list counts once per selection, not once per item.
 */
export function fieldUsage(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  watched: ReadonlySet<string>,
): FieldUsage {
  const usage: FieldUsage = { rootFields: 0, fields: new Map() };
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const root = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !root) return usage;
  const rootNames = new Set([
    schema.getQueryType()?.name,
    schema.getMutationType()?.name,
    schema.getSubscriptionType()?.name,
  ]);
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const deep = [...watched].some((coordinate) => !rootNames.has(coordinate.slice(0, coordinate.indexOf('.'))));
  walk({ schema, watched, fragments, expanding: new Set(), deep, usage }, root, operation.selectionSet, true);
  return usage;
}

import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  isInputType,
  typeFromAST,
  Kind,
  OperationTypeNode,
  parse,
  valueFromAST,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Static operation cost from the `@cost` and `@listSize` directives the subgraphs declare (IBM's
 * GraphQL cost specification, as Apollo's demand control applies it): an object costs 1, a scalar or
 * enum 0, `@cost(weight:)` overrides either, and a list multiplies what it selects by its size, taken
 * from its slicing argument (`first`), else `assumedSize`, else `defaultListSize`. `sizedFields`
 * moves the multiplier onto a connection's `edges`. Mutations add a base cost. The same number feeds
 * the gateways' cost limit, the rate limiter and the CI budgets.
 */
export interface CostModel {
  schema: GraphQLSchema;
  defaultListSize: number;
  mutationBaseCost: number;
}

interface ListSize {
  assumedSize: number | null;
  slicingArguments: string[];
  sizedFields: string[];
}

const COST_DIRECTIVES = new Set(['cost', 'cost__cost']);
const LIST_SIZE_DIRECTIVES = new Set(['listSize', 'cost__listSize']);

export function costModelFromSupergraph(
  supergraphSdl: string,
  options: { defaultListSize?: number; mutationBaseCost?: number } = {},
): CostModel {
  return {
    schema: buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true }),
    defaultListSize: options.defaultListSize ?? 10,
    mutationBaseCost: options.mutationBaseCost ?? 10,
  };
}

function directive(field: GraphQLField<unknown, unknown>, names: Set<string>): DirectiveNode | undefined {
  return field.astNode?.directives?.find((d) => names.has(d.name.value));
}

function directiveArgument(node: DirectiveNode, name: string): unknown {
  const argument = node.arguments?.find((a) => a.name.value === name);
  if (!argument) return undefined;
  const value = argument.value;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.LIST) return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
  return undefined;
}

function weightOf(field: GraphQLField<unknown, unknown>): number | null {
  const node = directive(field, COST_DIRECTIVES);
  const weight = node ? directiveArgument(node, 'weight') : undefined;
  return typeof weight === 'number' ? weight : null;
}

function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | null {
  const node = directive(field, LIST_SIZE_DIRECTIVES);
  if (!node) return null;
  const assumed = directiveArgument(node, 'assumedSize');
  const slicing = directiveArgument(node, 'slicingArguments');
  const sized = directiveArgument(node, 'sizedFields');
  return {
    assumedSize: typeof assumed === 'number' ? assumed : null,
    slicingArguments: Array.isArray(slicing) ? slicing.map(String) : [],
    sizedFields: Array.isArray(sized) ? sized.map(String) : [],
  };
}

interface Walk {
  model: CostModel;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Fragments being expanded: a cycle is invalid GraphQL, but cost must never loop on one. */
  expanding: Set<string>;
}

function argumentValue(
  walk: Walk,
  field: GraphQLField<unknown, unknown>,
  nodes: readonly ArgumentNode[] | undefined,
  name: string,
): unknown {
  const definition = field.args.find((a) => a.name === name);
  if (!definition) return undefined;
  const node = nodes?.find((a) => a.name.value === name);
  if (!node) return definition.defaultValue;
  return valueFromAST(node.value, definition.type, walk.variables);
}

/** The size a list field will have: the largest slicing argument given, else its assumed size. */
function sizeOf(walk: Walk, field: GraphQLField<unknown, unknown>, node: FieldNode, listSize: ListSize | null): number {
  const sliced = (listSize?.slicingArguments ?? [])
    .map((name) => argumentValue(walk, field, node.arguments, name))
    .filter((v): v is number => typeof v === 'number');
  if (sliced.length) return Math.max(...sliced);
  return listSize?.assumedSize ?? walk.model.defaultListSize;
}

function selectionCost(
  walk: Walk,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode | undefined,
  sizedFields: Set<string>,
  size: number,
): number {
  if (!selectionSet) return 0;
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(walk, parent, selection, sizedFields.has(selection.name.value) ? size : null);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value;
      const type = typeName ? walk.model.schema.getType(typeName) : parent;
      if (type && isCompositeType(type)) total += selectionCost(walk, type, selection.selectionSet, sizedFields, size);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.expanding.has(name)) continue;
      const type = walk.model.schema.getType(fragment.typeCondition.name.value);
      if (!type || !isCompositeType(type)) continue;
      walk.expanding.add(name);
      total += selectionCost(walk, type, fragment.selectionSet, sizedFields, size);
      walk.expanding.delete(name);
    }
  }
  return total;
}

/** `forcedSize`: the size a parent connection gives this field (one of its `sizedFields`). */
function fieldCost(
  walk: Walk,
  parent: GraphQLCompositeType,
  node: FieldNode,
  forcedSize: number | null = null,
): number {
  if (node.name.value.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) return 0;
  const field = parent.getFields()[node.name.value];
  if (!field) return 0;
  const named = getNamedType(field.type);
  const weight = weightOf(field) ?? (isCompositeType(named) ? 1 : 0);
  if (!isCompositeType(named)) return (forcedSize ?? 1) * weight;
  const listSize = listSizeOf(field);
  const isList = isListType(getNullableType(field.type));
  const size = isList || listSize?.sizedFields.length ? sizeOf(walk, field, node, listSize) : 1;
  if (listSize?.sizedFields.length) {
    // A connection: the connection object once, its sized fields (edges) `size` times.
    return weight + selectionCost(walk, named, node.selectionSet, new Set(listSize.sizedFields), size);
  }
  const multiplier = forcedSize ?? (isList ? size : 1);
  return multiplier * (weight + selectionCost(walk, named, node.selectionSet, new Set(), 1));
}

/** The request's variables over the operation's declared defaults: `$first: Int = 20` sent without `first` costs a page of 20. */
function withDefaults(
  model: CostModel,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (variables[name] !== undefined) values[name] = variables[name];
    else if (definition.defaultValue) {
      const type = typeFromAST(model.schema, definition.type);
      if (type && isInputType(type)) values[name] = valueFromAST(definition.defaultValue, type);
    }
  }
  return { ...variables, ...values };
}

/** The static cost of one operation of a document, with its variables applied. */
export function operationCost(
  model: CostModel,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> = {},
): number {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const root = model.schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk: Walk = { model, fragments, variables: withDefaults(model, operation, variables), expanding: new Set() };
  const base = operation.operation === OperationTypeNode.MUTATION ? model.mutationBaseCost : 0;
  return base + selectionCost(walk, root, operation.selectionSet, new Set(), 1);
}

import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  typeFromAST,
  valueFromAST,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  OperationTypeNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { CostModel } from './cost.ts';

/**
 * One pass over an operation that gives every gateway concern what it needs: the static cost (the
 * cost limit and the rate limiter), the fields used (field budgets, fail-closed fields, stale
 * entities), the cache policy its hints give (the in-process BFF), depth, aliases, and how large it
 * is once fragments are expanded (the hard bound that comes before everything else).
 *
 * Linear in the document: each fragment is analysed once per context it can be spread in (a
 * connection's sized fields, the root) and remembered, and a spread adds the fragment's summary by
 * reference instead of walking it again. So `fragment F0 { ...F1 ...F1 ... }`, nine levels deep and
 * 10^8 fields once expanded, costs nine small summaries; the expanded size is still known exactly
 * (as a number) and refused past `MAX_EXPANDED_FIELDS`. Pure: same model, document, operation name
 * and variables give the same result, so a caller may remember it per document hash and variables.
 */
export interface OperationAnalysis {
  /** The analysed operation, null when the document has none by that name. */
  operation: OperationDefinitionNode | null;
  kind: OperationTypeNode | null;
  /** Static cost (IBM's cost spec over @cost/@listSize, variables applied): never negative. */
  cost: number;
  /** Field selections once every fragment is expanded, `__typename` included (a fan-out is counted, not built). */
  expandedFields: number;
  /** Deepest field nesting, leaves included (root fields are at depth 1). */
  depth: number;
  /** Aliased field selections once expanded, aliases of `__typename` included. */
  aliases: number;
  /** Root fields selected, introspection aside (what a mutation spends from its budget); aliases and spreads count. */
  rootFields: number;
  /** How many times each schema field is selected once expanded, by coordinate (`Mutation.addReview`). */
  fields: ReadonlyMap<string, number>;
  /**
   * For a fetch of `_entities` (a subgraph's entity fetch): the fields it selects directly on each
   * entity type, by type name; empty for any other operation.
   */
  entitySelections: ReadonlyMap<string, ReadonlySet<string>>;
  /** The cache policy the schema's @cacheControl hints give, as Apollo's cache-control plugin computes it. */
  cacheHint: { maxAge: number; scope: 'PUBLIC' | 'PRIVATE' };
  /** Slicing arguments outside 1..maxListSize (literal, variable or default), each reported once. */
  slicingViolations: SlicingViolation[];
  /**
   * The variables the result depends on (those slicing arguments name), in the order first read: the
   * same document and operation with the same values of these gives the same analysis. It depends on
   * the document and operation alone, never on the values.
   */
  variablesRead: readonly string[];
}

export interface SlicingViolation {
  /** The field's schema coordinate (`Query.products`). */
  coordinate: string;
  argument: string;
  value: unknown;
}

/** What the analysis needs beside the schema's cost model. */
export interface AnalysisOptions {
  /** The largest page a slicing argument may ask for (the subgraphs refuse more). */
  maxListSize?: number;
}

export const DEFAULT_MAX_LIST_SIZE = 100;

interface ListSize {
  assumedSize: number | null;
  slicingArguments: string[];
  sizedFields: string[];
}

interface Hint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
}

/** A selection set's contribution, combinable: every figure adds up, or takes a max / min. */
interface Summary {
  /** Cost of the fields outside the parent connection's sized fields. */
  fixed: number;
  /** Cost of one item of the sized fields (edges): the connection multiplies it by its page size. */
  perSize: number;
  expanded: number;
  depth: number;
  aliases: number;
  rootFields: number;
  fields: Map<string, number>;
  /** Fields selected at this level, by parent type (entity selections under `_entities`). */
  direct: Map<string, Set<string>>;
  entities: Map<string, Set<string>>;
  maxAge: number | undefined;
  private: boolean;
}

const COST_DIRECTIVES = new Set(['cost', 'cost__cost']);
const LIST_SIZE_DIRECTIVES = new Set(['listSize', 'cost__listSize']);
const NO_SIZED: readonly string[] = [];

function emptySummary(): Summary {
  return {
    fixed: 0,
    perSize: 0,
    expanded: 0,
    depth: 0,
    aliases: 0,
    rootFields: 0,
    fields: new Map(),
    direct: new Map(),
    entities: new Map(),
    maxAge: undefined,
    private: false,
  };
}

function addCounts(into: Map<string, number>, from: ReadonlyMap<string, number>, times = 1): void {
  for (const [key, count] of from) into.set(key, (into.get(key) ?? 0) + count * times);
}

function addSets(into: Map<string, Set<string>>, from: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [key, names] of from) {
    const set = into.get(key) ?? new Set<string>();
    for (const name of names) set.add(name);
    into.set(key, set);
  }
}

function restrictAge(summary: Summary, maxAge: number | undefined): void {
  if (maxAge !== undefined && (summary.maxAge === undefined || maxAge < summary.maxAge)) summary.maxAge = maxAge;
}

/** Adds a fragment's (or inline fragment's) summary at this level, by reference: nothing is walked again. */
function include(into: Summary, part: Summary): void {
  into.fixed += part.fixed;
  into.perSize += part.perSize;
  into.expanded += part.expanded;
  into.depth = Math.max(into.depth, part.depth);
  into.aliases += part.aliases;
  into.rootFields += part.rootFields;
  addCounts(into.fields, part.fields);
  addSets(into.direct, part.direct);
  addSets(into.entities, part.entities);
  restrictAge(into, part.maxAge);
  into.private ||= part.private;
}

function directiveArgument(node: DirectiveNode | undefined, name: string): unknown {
  const value = node?.arguments?.find((a) => a.name.value === name)?.value;
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.ENUM) return value.value;
  if (value.kind === Kind.LIST) return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
  return undefined;
}

type Field = GraphQLField<unknown, unknown>;

/** Per-schema facts read from directives once and remembered (the schema's AST never changes). */
class SchemaFacts {
  private readonly weights = new WeakMap<Field, number | null>();
  private readonly listSizes = new WeakMap<Field, ListSize | null>();
  private readonly fieldHints = new WeakMap<Field, Hint>();
  private readonly typeHints = new WeakMap<GraphQLNamedType, Hint>();

  weight(field: Field): number | null {
    let weight = this.weights.get(field);
    if (weight === undefined) {
      const value = directiveArgument(
        field.astNode?.directives?.find((d) => COST_DIRECTIVES.has(d.name.value)),
        'weight',
      );
      // A negative weight in an SDL must not let an operation credit a budget.
      weight = typeof value === 'number' ? Math.max(0, value) : null;
      this.weights.set(field, weight);
    }
    return weight;
  }

  listSize(field: Field): ListSize | null {
    let listSize = this.listSizes.get(field);
    if (listSize === undefined) {
      const node = field.astNode?.directives?.find((d) => LIST_SIZE_DIRECTIVES.has(d.name.value));
      const assumed = directiveArgument(node, 'assumedSize');
      const slicing = directiveArgument(node, 'slicingArguments');
      const sized = directiveArgument(node, 'sizedFields');
      listSize = node
        ? {
            assumedSize: typeof assumed === 'number' ? Math.max(0, assumed) : null,
            slicingArguments: Array.isArray(slicing) ? slicing.map(String) : [],
            sizedFields: Array.isArray(sized) ? sized.map(String) : [],
          }
        : null;
      this.listSizes.set(field, listSize);
    }
    return listSize;
  }

  fieldHint(field: Field): Hint {
    let hint = this.fieldHints.get(field);
    if (!hint) {
      hint = hintOf(field.astNode?.directives);
      this.fieldHints.set(field, hint);
    }
    return hint;
  }

  typeHint(type: GraphQLNamedType): Hint {
    let hint = this.typeHints.get(type);
    if (!hint) {
      hint = hintOf(type.astNode?.directives ?? type.extensionASTNodes.flatMap((n) => n.directives ?? []));
      this.typeHints.set(type, hint);
    }
    return hint;
  }
}

function hintOf(directives: readonly DirectiveNode[] | undefined): Hint {
  const node = directives?.find((d) => d.name.value === 'cacheControl');
  const hint: Hint = {};
  const maxAge = directiveArgument(node, 'maxAge');
  const scope = directiveArgument(node, 'scope');
  const inherit = directiveArgument(node, 'inheritMaxAge');
  if (typeof maxAge === 'number') hint.maxAge = maxAge;
  if (scope === 'PUBLIC' || scope === 'PRIVATE') hint.scope = scope;
  if (typeof inherit === 'boolean') hint.inheritMaxAge = inherit;
  return hint;
}

const facts = new WeakMap<object, SchemaFacts>();

function factsOf(model: CostModel): SchemaFacts {
  let found = facts.get(model.schema);
  if (!found) {
    found = new SchemaFacts();
    facts.set(model.schema, found);
  }
  return found;
}

interface Pass {
  model: CostModel;
  facts: SchemaFacts;
  maxListSize: number;
  variables: Record<string, unknown>;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Fragment summaries by fragment, sized fields and whether spread at the root. */
  memo: Map<string, Summary | 'expanding'>;
  /** Each (field node, argument) reported once, however often its fragment is spread. */
  reported: Set<ArgumentNode | FieldNode>;
  violations: SlicingViolation[];
  variablesRead: Set<string>;
}

/** Every variable an argument's value names (a bare `$first`, or inside a list or input object). */
function addVariablesOf(value: ValueNode, into: Set<string>): void {
  if (value.kind === Kind.VARIABLE) into.add(value.name.value);
  else if (value.kind === Kind.LIST) for (const item of value.values) addVariablesOf(item, into);
  else if (value.kind === Kind.OBJECT) for (const field of value.fields) addVariablesOf(field.value, into);
}

function argumentValue(pass: Pass, field: Field, node: FieldNode, name: string): unknown {
  const definition = field.args.find((a) => a.name === name);
  if (!definition) return undefined;
  const argument = node.arguments?.find((a) => a.name.value === name);
  if (argument) addVariablesOf(argument.value, pass.variablesRead);
  const value = argument ? valueFromAST(argument.value, definition.type, pass.variables) : undefined;
  // Left out, or null: the subgraph uses the argument's default, so cost does too.
  return value ?? definition.defaultValue;
}

/**
 * The page a list field will have: the largest slicing argument given, else its assumed size. A
 * slicing argument outside 1..maxListSize is recorded (the gateway refuses the operation) and
 * counted as the largest page, so it can never lower a cost.
 */
function sizeOf(pass: Pass, parent: string, field: Field, node: FieldNode, listSize: ListSize | null): number {
  const sizes: number[] = [];
  for (const name of listSize?.slicingArguments ?? []) {
    const value = argumentValue(pass, field, node, name);
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= pass.maxListSize) {
      sizes.push(value);
      continue;
    }
    sizes.push(pass.maxListSize);
    const argument = node.arguments?.find((a) => a.name.value === name) ?? node;
    if (!pass.reported.has(argument)) {
      pass.reported.add(argument);
      pass.violations.push({ coordinate: `${parent}.${field.name}`, argument: name, value });
    }
  }
  if (sizes.length) return Math.max(...sizes);
  return listSize?.assumedSize ?? pass.model.defaultListSize;
}

function fieldOf(parent: GraphQLNamedType | undefined, name: string): Field | undefined {
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

function analyseField(
  pass: Pass,
  parent: GraphQLNamedType | undefined,
  node: FieldNode,
  sized: readonly string[],
  root: boolean,
  into: Summary,
): void {
  const name = node.name.value;
  into.expanded += 1;
  into.depth = Math.max(into.depth, 1);
  if (node.alias) into.aliases += 1;
  if (name.startsWith('__')) return;
  if (root) into.rootFields += 1;
  const field = fieldOf(parent, name);
  const entities = root && name === '_entities';
  if (parent) {
    const direct = into.direct.get(parent.name) ?? new Set<string>();
    direct.add(name);
    into.direct.set(parent.name, direct);
  }
  if (!field || !parent) {
    // Not in this schema (`_entities` in a supergraph): no cost or hint to read, but its
    // selections are still counted, and inline fragments below name their own types.
    restrictAge(into, 0);
    if (node.selectionSet) nest(into, analyseSet(pass, undefined, node.selectionSet, NO_SIZED, false), entities);
    return;
  }
  const coordinate = `${parent.name}.${name}`;
  into.fields.set(coordinate, (into.fields.get(coordinate) ?? 0) + 1);
  const named = getNamedType(field.type);
  hintField(pass, field, named, node, root, into);
  const weight = pass.facts.weight(field) ?? (isCompositeType(named) ? 1 : 0);
  const isSized = sized.includes(name);
  if (!isCompositeType(named) || !node.selectionSet) {
    if (isSized) into.perSize += weight;
    else into.fixed += weight;
    return;
  }
  const listSize = pass.facts.listSize(field);
  const isList = isListType(getNullableType(field.type));
  const size = isList || listSize?.sizedFields.length ? sizeOf(pass, parent.name, field, node, listSize) : 1;
  if (listSize?.sizedFields.length) {
    // A connection: the connection object once, its sized fields (edges) `size` times.
    const child = analyseSet(pass, named, node.selectionSet, listSize.sizedFields, false);
    nest(into, child, entities);
    into.fixed += weight + child.fixed + size * child.perSize;
    return;
  }
  const child = analyseSet(pass, named, node.selectionSet, NO_SIZED, false);
  nest(into, child, entities);
  const unit = weight + child.fixed;
  if (isSized) into.perSize += unit;
  else into.fixed += (isList ? size : 1) * unit;
}

/** Apollo's cache-control rules: a root field or an object field gets maxAge 0 unless hinted; scalars inherit. */
function hintField(
  pass: Pass,
  field: Field,
  named: GraphQLNamedType,
  node: FieldNode,
  root: boolean,
  into: Summary,
): void {
  let maxAge: number | undefined;
  let scope: 'PUBLIC' | 'PRIVATE' | undefined;
  let inherit = false;
  if (isCompositeType(named)) {
    const typeHint = pass.facts.typeHint(named);
    maxAge = typeHint.maxAge;
    scope = typeHint.scope;
    inherit = typeHint.inheritMaxAge === true;
  }
  const fieldHint = pass.facts.fieldHint(field);
  if (fieldHint.inheritMaxAge && maxAge === undefined) {
    inherit = true;
    if (fieldHint.scope) scope = fieldHint.scope;
  } else {
    if (fieldHint.maxAge !== undefined) maxAge = fieldHint.maxAge;
    if (fieldHint.scope) scope = fieldHint.scope;
  }
  // @apollo/subgraph's _entities resolver restricts by the hint of each entity type it returns.
  if (root && field.name === '_entities' && node.selectionSet) {
    for (const selection of node.selectionSet.selections) {
      if (selection.kind !== Kind.INLINE_FRAGMENT || !selection.typeCondition) continue;
      const type = pass.model.schema.getType(selection.typeCondition.name.value);
      const hint = type ? pass.facts.typeHint(type) : {};
      if (hint.maxAge !== undefined && (maxAge === undefined || hint.maxAge < maxAge)) maxAge = hint.maxAge;
      if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
    }
  }
  if (maxAge === undefined && ((isCompositeType(named) && !inherit) || root)) maxAge = 0;
  restrictAge(into, maxAge);
  if (scope === 'PRIVATE') into.private = true;
}

/**
 * A child selection set below a field: one level deeper; its cost is the caller's to combine. Below
 * a root `_entities` field, the fields selected directly on each type are the fetch's entity selections.
 */
function nest(into: Summary, child: Summary, entities: boolean): void {
  if (entities) addSets(into.entities, child.direct);
  into.expanded += child.expanded;
  into.depth = Math.max(into.depth, 1 + child.depth);
  into.aliases += child.aliases;
  addCounts(into.fields, child.fields);
  addSets(into.entities, child.entities);
  restrictAge(into, child.maxAge);
  into.private ||= child.private;
}

function analyseSet(
  pass: Pass,
  parent: GraphQLNamedType | undefined,
  set: SelectionSetNode,
  sized: readonly string[],
  root: boolean,
): Summary {
  const summary = emptySummary();
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      analyseField(pass, parent, selection, sized, root, summary);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? (pass.model.schema.getType(selection.typeCondition.name.value) ?? undefined)
        : parent;
      include(summary, analyseSet(pass, type, selection.selectionSet, sized, root));
    } else {
      const fragment = fragmentSummary(pass, selection.name.value, sized, root);
      if (fragment) include(summary, fragment);
    }
  }
  return summary;
}

/** A named fragment's summary in one context, computed on its first spread and shared by every later one. */
function fragmentSummary(pass: Pass, name: string, sized: readonly string[], root: boolean): Summary | null {
  const key = `${name}\u0000${sized.join(',')}\u0000${root ? 1 : 0}`;
  const known = pass.memo.get(key);
  // A fragment cycle is invalid GraphQL (validation refuses it); analysis must still never loop on one.
  if (known === 'expanding') return null;
  if (known) return known;
  const fragment = pass.fragments.get(name);
  if (!fragment) return null;
  pass.memo.set(key, 'expanding');
  const type = pass.model.schema.getType(fragment.typeCondition.name.value) ?? undefined;
  const summary = analyseSet(pass, type, fragment.selectionSet, sized, root);
  pass.memo.set(key, summary);
  return summary;
}

/** The request's variables over the operation's declared defaults: `$first: Int = 20` sent without `first` costs a page of 20. */
function withDefaults(
  model: CostModel,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (values[name] !== undefined || !definition.defaultValue) continue;
    const type = typeFromAST(model.schema, definition.type);
    if (type && isInputType(type)) values[name] = valueFromAST(definition.defaultValue, type);
  }
  return values;
}

export function selectOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | null {
  let found: OperationDefinitionNode | null = null;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName ? definition.name?.value === operationName : !found) found = definition;
  }
  return found;
}

/**
 * Analyses the operation `operationName` of `document` (the first one when no name is given) with
 * `variables` applied, against the cost model's schema. Never throws on an invalid document:
 * unknown fields, types and fragments add nothing, and a fragment cycle is cut.
 */
export function analyzeOperation(
  model: CostModel,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> = {},
  options: AnalysisOptions = {},
): OperationAnalysis {
  const operation = selectOperation(document, operationName);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(definition.name.value))
      fragments.set(definition.name.value, definition);
  const root = operation ? (model.schema.getRootType(operation.operation) ?? undefined) : undefined;
  const pass: Pass = {
    model,
    facts: factsOf(model),
    maxListSize: options.maxListSize ?? DEFAULT_MAX_LIST_SIZE,
    variables: operation ? withDefaults(model, operation, variables) : variables,
    fragments,
    memo: new Map(),
    reported: new Set(),
    violations: [],
    variablesRead: new Set(),
  };
  const summary = operation ? analyseSet(pass, root, operation.selectionSet, NO_SIZED, true) : emptySummary();
  if (operation && operation.operation !== OperationTypeNode.QUERY) restrictAge(summary, 0);
  const base = operation?.operation === OperationTypeNode.MUTATION ? model.mutationBaseCost : 0;
  return {
    operation,
    kind: operation?.operation ?? null,
    // Sizes are at least 1 and weights at least 0, so this holds by construction; the clamp keeps it
    // true whatever a future schema directive says.
    cost: Math.max(0, base + summary.fixed),
    expandedFields: summary.expanded,
    depth: summary.depth,
    aliases: summary.aliases,
    rootFields: summary.rootFields,
    fields: summary.fields,
    entitySelections: summary.entities,
    cacheHint: { maxAge: summary.maxAge ?? 0, scope: summary.private ? 'PRIVATE' : 'PUBLIC' },
    slicingViolations: pass.violations,
    variablesRead: [...pass.variablesRead],
  };
}

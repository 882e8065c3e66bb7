import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { DemoData } from '../../lib/seed/index.ts';
import { operationOf, representationSelection, type Contract } from './contract.ts';

/** Whose data a replay reads: the seeded demo world, seen as one signed-in user. */
export interface ReplayFixtures {
  userId: string;
  data: DemoData;
}

/** How many entities of a type a replay asks for: enough to exercise batching and varied rows. */
const ENTITIES_PER_TYPE = 5;

/**
 * Seeded records of a GraphQL type, as the signed-in user may read them: their own profile, orders
 * and payments (others' are FORBIDDEN, which no consumer relies on), and the first few of the rest.
 */
export function demoRecords(typename: string, { userId, data }: ReplayFixtures): Array<Record<string, unknown>> {
  const records: Record<string, readonly object[]> = {
    User: data.users.filter((u) => u.id === userId),
    Order: data.orders.filter((o) => o.userId === userId),
    Payment: data.payments.filter((p) => p.userId === userId),
    Product: data.products.slice(0, ENTITIES_PER_TYPE),
    Category: data.categories,
    Review: data.reviews.slice(0, ENTITIES_PER_TYPE),
  };
  return (records[typename] ?? []).map((record) => Object.fromEntries(Object.entries(record)));
}

export interface ReplayRequest {
  variables: Record<string, unknown>;
  /** `__typename` of each representation sent, in order (empty for a root-field request). */
  entityTypes: string[];
}

/**
 * Variables for replaying a contract: representations of seeded entities for an `_entities`
 * request, the contract's own fixed values, and values for the remaining required variables. Optional
 * variables are left out, as a consumer may leave them out.
 */
export function replayRequest(contract: Contract, schema: GraphQLSchema, fixtures: ReplayFixtures): ReplayRequest {
  const variables: Record<string, unknown> = {};
  const entityTypes: string[] = [];
  const selection = representationSelection(contract);
  if (selection) {
    const representations = representationsFor(selection, schema, fixtures, contract);
    variables.representations = representations;
    entityTypes.push(...representations.map((r) => String(r.__typename)));
  }
  Object.assign(variables, contract.variables ?? {});
  const document = parse(contract.document);
  const hints = argumentHints(schema, document);
  for (const definition of operationOf(document, contract.file).variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name in variables || definition.defaultValue || definition.type.kind !== Kind.NON_NULL_TYPE) continue;
    const type = typeFromAST(schema, definition.type);
    if (!type) throw new Error(`${contract.file}: variable $${name} has a type ${contract.subgraph} does not define`);
    variables[name] = inputValue(type, hints.get(name) ?? name, fixtures, `${contract.file}: $${name}`);
  }
  return { variables, entityTypes };
}

function representationsFor(
  selection: SelectionSetNode,
  schema: GraphQLSchema,
  fixtures: ReplayFixtures,
  contract: Contract,
): Array<Record<string, unknown>> {
  const representations: Array<Record<string, unknown>> = [];
  for (const fragment of selection.selections) {
    if (fragment.kind !== Kind.INLINE_FRAGMENT || !fragment.typeCondition) continue;
    const typename = fragment.typeCondition.name.value;
    const records = demoRecords(typename, fixtures);
    if (!records.length)
      throw new Error(
        `${contract.file}: no demo data to represent ${typename} with (tools/contracts/replayInputs.ts demoRecords)`,
      );
    for (const record of records)
      representations.push(objectFrom(fragment.selectionSet, schema.getType(typename) ?? null, record, typename));
  }
  return representations;
}

/**
 * A representation (or a nested @requires object): seeded values where the record has the field,
 * plausible ones of the field's declared type otherwise.
 */
function objectFrom(
  selection: SelectionSetNode,
  type: GraphQLNamedType | null,
  record: Record<string, unknown>,
  typename: string,
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const fields = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields() : {};
  for (const node of selection.selections) {
    if (node.kind !== Kind.FIELD) continue;
    const name = node.name.value;
    const key = node.alias?.value ?? name;
    const fieldType = fields[name] ? getNamedType(fields[name].type) : null;
    const seeded = record[name];
    if (name === '__typename') object[key] = typename;
    else if (node.selectionSet) {
      const nested =
        typeof seeded === 'object' && seeded !== null && !(seeded instanceof Date)
          ? Object.fromEntries(Object.entries(seeded))
          : {};
      object[key] = objectFrom(node.selectionSet, fieldType, nested, fieldType?.name ?? name);
    } else if (seeded !== undefined) object[key] = seeded instanceof Date ? seeded.toISOString() : seeded;
    else object[key] = fieldType ? leafValue(fieldType, name) : 'contract';
  }
  return object;
}

/**
 * For each variable, the entity its value names: `product(id: $id)` takes a Product id,
 * `reserve(productId: $p)` a Product id too. Everything else is named after the argument.
 */
function argumentHints(schema: GraphQLSchema, document: DocumentNode): Map<string, string> {
  const hints = new Map<string, string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (node.value.kind !== Kind.VARIABLE) return;
        const argument = node.name.value;
        const returned = typeInfo.getFieldDef()?.type;
        const entity = argument === 'id' && returned ? getNamedType(returned).name : argument;
        hints.set(node.value.name.value, entity);
      },
    }),
  );
  return hints;
}

/** `productId` → `Product`, `Product` → `Product`. */
function entityNamed(hint: string): string {
  const base = hint.endsWith('Id') ? hint.slice(0, -2) : hint;
  return base.charAt(0).toUpperCase() + base.slice(1);
}

function inputValue(type: GraphQLInputType, hint: string, fixtures: ReplayFixtures, where: string): unknown {
  if (isNonNullType(type)) return inputValue(type.ofType, hint, fixtures, where);
  if (isListType(type)) return [inputValue(type.ofType, hint, fixtures, where)];
  if (isInputObjectType(type)) {
    const object: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined)
        object[field.name] = inputValue(field.type, field.name, fixtures, `${where}.${field.name}`);
    }
    return object;
  }
  if (type.name === 'ID') {
    const id = demoRecords(entityNamed(hint), fixtures)[0]?.id;
    if (typeof id !== 'string')
      throw new Error(`${where}: cannot tell which seeded id to send; give it in the contract's "# variables:" line`);
    return id;
  }
  return leafValue(type, hint);
}

function leafValue(type: GraphQLNamedType, name: string): unknown {
  if (isEnumType(type)) return type.getValues()[0]?.name ?? null;
  if (isCompositeType(type)) return {};
  switch (type.name) {
    case 'Int':
      return name === 'first' || name === 'last' ? ENTITIES_PER_TYPE : 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'DateTime':
      return new Date(0).toISOString();
    default:
      return `contract-${name}`;
  }
}

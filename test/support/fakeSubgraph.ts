// A subgraph answering any fetch from its selection set, for comparing plan executors in-process.
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';

/** Where the fake subgraphs misbehave: `Type.field` answered null (no error), or null with an error. */
export interface Faults {
  nulls: Set<string>;
  errors: Set<string>;
}

const BUBBLE = Symbol('bubble');

/**
 * A subgraph that answers any fetch from its selection set: ids repeat (so entities recur across
 * lists), keys are echoed from representations, lists have two elements, and a field named in the
 * faults is null (with an error when asked), its null propagating as a real subgraph's would.
 */
export class FakeSubgraph implements GraphQLDataSource {
  calls = 0;
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly faults: Faults,
  ) {}

  process(
    options: GraphQLDataSourceProcessOptions,
  ): Promise<{ data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] }> {
    this.calls += 1;
    const { query, variables } = options.request;
    const operation = parse(query ?? '').definitions[0] as OperationDefinitionNode;
    const root = this.schema.getRootType(operation.operation)!;
    const errors: GraphQLFormattedError[] = [];
    const data: Record<string, unknown> = {};
    let bubbled = false;
    for (const selection of operation.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) continue;
      const name = selection.name.value;
      const responseName = selection.alias?.value ?? name;
      if (name === '_entities') {
        const representations = (variables?.representations ?? []) as Array<Record<string, unknown>>;
        data[responseName] = representations.map((representation, i) => {
          const type = this.schema.getType(String(representation.__typename)) as GraphQLObjectType;
          const value = this.object(
            type,
            selection.selectionSet!,
            typeof representation.id === 'string' ? representation.id : String(i),
            ['_entities', i],
            errors,
            representation,
          );
          return value === BUBBLE ? null : value;
        });
        continue;
      }
      const field = root.getFields()[name]!;
      const value = this.value(
        field.type,
        selection.selectionSet,
        `${root.name}.${name}`,
        [responseName],
        errors,
        root.name,
        name,
      );
      if (value === BUBBLE) bubbled = true;
      else data[responseName] = value;
    }
    return Promise.resolve({ data: bubbled ? null : data, ...(errors.length ? { errors } : {}) });
  }

  private value(
    type: GraphQLOutputType,
    selectionSet: SelectionSetNode | undefined,
    seed: string,
    path: (string | number)[],
    errors: GraphQLFormattedError[],
    parent: string,
    fieldName: string,
  ): unknown {
    if (isNonNullType(type)) {
      const value = this.value(type.ofType, selectionSet, seed, path, errors, parent, fieldName);
      return value === null ? BUBBLE : value;
    }
    const key = `${parent}.${fieldName}`;
    if (this.faults.errors.has(key)) {
      errors.push({ message: `boom at ${key}`, path: [...path], extensions: { code: 'BOOM' } });
      return null;
    }
    if (this.faults.nulls.has(key)) return null;
    if (isListType(type)) {
      const out: unknown[] = [];
      for (let i = 0; i < 2; i += 1) {
        const value = this.value(
          type.ofType,
          selectionSet,
          `${seed}[${i}]`,
          [...path, i],
          errors,
          parent,
          `${fieldName}[]`,
        );
        if (value === BUBBLE) return null;
        out.push(value);
      }
      return out;
    }
    const named = getNamedType(type);
    if (isObjectType(named)) {
      const value = this.object(named, selectionSet!, seed, path, errors, null);
      return value === BUBBLE ? null : value;
    }
    if (isEnumType(named)) return named.getValues()[seed.length % named.getValues().length]!.name;
    switch (named.name) {
      case 'ID':
        return `${parent}-${seed.length % 3}`;
      case 'Int':
        return seed.length % 7;
      case 'Float':
        return (seed.length % 5) + 0.5;
      case 'Boolean':
        return seed.length % 2 === 0;
      case 'DateTime':
        return '2026-01-01T00:00:00.000Z';
      default:
        return `${key}:${seed}`;
    }
  }

  private object(
    type: GraphQLObjectType,
    selectionSet: SelectionSetNode,
    seed: string,
    path: (string | number)[],
    errors: GraphQLFormattedError[],
    representation: Record<string, unknown> | null,
  ): Record<string, unknown> | typeof BUBBLE {
    const out: Record<string, unknown> = {};
    const walk = (set: SelectionSetNode): boolean => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!selection.typeCondition || selection.typeCondition.name.value === type.name)
            if (!walk(selection.selectionSet)) return false;
          continue;
        }
        if (selection.kind !== Kind.FIELD) continue;
        const name = selection.name.value;
        const responseName = selection.alias?.value ?? name;
        if (name === '__typename') {
          out[responseName] = type.name;
          continue;
        }
        if (representation && name in representation && !selection.selectionSet) {
          out[responseName] = representation[name];
          continue;
        }
        const field = type.getFields()[name]!;
        const value = this.value(
          field.type,
          selection.selectionSet,
          `${seed}/${name}`,
          [...path, responseName],
          errors,
          type.name,
          name,
        );
        if (value === BUBBLE) return false;
        out[responseName] = value;
      }
      return true;
    };
    return walk(selectionSet) ? out : BUBBLE;
  }
}

import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type GraphQLNamedType,
  OperationTypeNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { analyzeOperation, type OperationAnalysis } from '../graphql/analysis.ts';
import { costModelFromSchema } from '../graphql/cost.ts';
import { digest } from './keys.ts';
import { remembered } from './memo.ts';
import type { SupergraphModel } from './supergraphModel.ts';
import { TAG_FIELD_PREFIX, TAG_TYPENAME } from './tags.ts';

/** What the caches make of one subgraph fetch of a query plan (computed once per fetch text). */
export interface FetchAnalysis {
  /** The fetch with an aliased `__typename` and key fields on every entity object (see tags.ts). */
  query: string;
  kind: OperationTypeNode;
  /** For an `_entities` fetch: the digest of what it selects, and whether all of it may be served stale. */
  entities: { selection: string; staleAllowed: boolean } | null;
}

function aliased(alias: string, name: string): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } };
}

/**
 * Asks for the entity identity of every object the fetch returns: for each selection set of an
 * entity type (a type with a key in this subgraph), `bffTag__typename: __typename` and one
 * `bffTag__<key>: <key>` per key field. Aliased, so they never clash with what the plan selects.
 */
function withTagFields(document: DocumentNode, model: SupergraphModel, subgraph: string): DocumentNode {
  const rewrite = (set: SelectionSetNode, type: GraphQLNamedType | undefined): SelectionSetNode => {
    const selections: SelectionNode[] = set.selections.map((selection) => {
      if (selection.kind === Kind.FIELD && selection.selectionSet) {
        // `_entities` returns a union the supergraph does not have; its inline fragments name the types.
        const field =
          type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
        return {
          ...selection,
          selectionSet: rewrite(selection.selectionSet, field ? getNamedType(field.type) : undefined),
        };
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = selection.typeCondition
          ? (model.schema.getType(selection.typeCondition.name.value) ?? undefined)
          : type;
        return { ...selection, selectionSet: rewrite(selection.selectionSet, inner) };
      }
      return selection;
    });
    const keys = type && isObjectType(type) ? model.keyFields(subgraph, type.name) : null;
    if (keys)
      selections.push(
        aliased(TAG_TYPENAME, '__typename'),
        ...keys.map((key) => aliased(`${TAG_FIELD_PREFIX}${key}`, key)),
      );
    return { ...set, selections };
  };
  return {
    ...document,
    definitions: document.definitions.map((definition) => {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        const root = model.schema.getRootType(definition.operation) ?? undefined;
        return { ...definition, selectionSet: rewrite(definition.selectionSet, root) };
      }
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        return {
          ...definition,
          selectionSet: rewrite(
            definition.selectionSet,
            model.schema.getType(definition.typeCondition.name.value) ?? undefined,
          ),
        };
      }
      return definition;
    }),
  };
}

/**
 * Every field an `_entities` fetch asks of each entity type may be served stale (`@staleIfError`):
 * read from the operation analysis of the fetch as the plan wrote it (before the tag fields).
 */
function staleAllowed(entities: FieldNode, analysis: OperationAnalysis, model: SupergraphModel): boolean {
  return (
    entities.selectionSet !== undefined &&
    entities.selectionSet.selections.every((s) => s.kind === Kind.INLINE_FRAGMENT && s.typeCondition !== undefined) &&
    [...analysis.entitySelections].every(([type, fields]) => [...fields].every((f) => model.allowsStale(type, f)))
  );
}

export function analyseFetch(model: SupergraphModel, subgraph: string, query: string): FetchAnalysis {
  const planned = parse(query);
  const document = withTagFields(planned, model, subgraph);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION)
    throw new Error('A subgraph fetch without an operation');
  const [root, ...others] = operation.selectionSet.selections;
  const isEntities =
    operation.operation === OperationTypeNode.QUERY &&
    others.length === 0 &&
    root?.kind === Kind.FIELD &&
    root.name.value === '_entities' &&
    !root.alias;
  // The plan names fetches after the client operation; entities selected alike share entries whatever asked.
  const shape = isEntities
    ? digest(
        print({
          ...document,
          definitions: document.definitions.map((d) => (d === operation ? { ...operation, name: undefined } : d)),
        }),
      )
    : '';
  return {
    query: print(document),
    kind: operation.operation,
    entities:
      isEntities && root.kind === Kind.FIELD
        ? {
            selection: shape,
            staleAllowed: staleAllowed(root, analyzeOperation(costModelFromSchema(model.schema), planned, null), model),
          }
        : null,
  };
}

/** analyseFetch, remembered per fetch text: plans repeat the same few fetches. */
export function fetchAnalyser(
  model: SupergraphModel,
  subgraph: string,
  capacity = 2000,
): (query: string) => FetchAnalysis {
  return remembered(capacity, (query) => analyseFetch(model, subgraph, query));
}

import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { OperationPlanner, type PlannedFetch } from '../../lib/schema/queryPlan.ts';
import { isSubgraphName, type SubgraphName } from '../../lib/services.ts';
import { fieldExpectations } from './checkSchema.ts';
import { contractFileName, type Contract } from './contract.ts';

/** A consumer whose requests follow from query plans: a gateway, its supergraph and its client operations. */
export interface PlannedConsumer {
  consumer: string;
  supergraphSdl: string;
  /**
   * `variables`: representative values of an operation's variables, by operation name (a gateway's
   * budgets.json). Replays send those a request forwards: a mutation's replay writes, so its inputs
   * must be ones the seeded world accepts, which generated values cannot promise.
   */
  operations: Array<{ source: string; document: DocumentNode; variables?: Record<string, Record<string, unknown>> }>;
}

/**
 * One contract per distinct request each client operation's plan sends to a domain subgraph. Fetches
 * to other subgraphs (a gateway's in-process BFF) are not between services and give no contract.
 */
export function deriveContracts(
  consumer: PlannedConsumer,
  subgraphSchemas: Record<SubgraphName, GraphQLSchema>,
): Contract[] {
  const planner = new OperationPlanner(consumer.supergraphSdl);
  const contracts: Contract[] = [];
  for (const { source, document, variables = {} } of consumer.operations) {
    for (const operation of document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    )) {
      const operationName = operation.name?.value;
      if (!operationName) throw new Error(`${source}: client operations are named, so their contracts can name them`);
      const fetches = planner.plan(document, operationName).fetches;
      contracts.push(
        ...contractsOfOperation(
          consumer.consumer,
          source,
          operationName,
          fetches,
          subgraphSchemas,
          variables[operationName] ?? {},
        ),
      );
    }
  }
  return contracts;
}

function contractsOfOperation(
  consumer: string,
  source: string,
  operationName: string,
  fetches: PlannedFetch[],
  subgraphSchemas: Record<SubgraphName, GraphQLSchema>,
  operationVariables: Record<string, unknown>,
): Contract[] {
  const contracts: Contract[] = [];
  const seen = new Set<string>();
  const ordinals = new Map<SubgraphName, number>();
  for (const fetch of fetches) {
    const subgraph = fetch.serviceName;
    if (!isSubgraphName(subgraph)) continue;
    const representations = fetch.requires.length ? printSelections(fetch.requires) : null;
    // The planner sends the same request more than once when two parts of an answer need the same
    // fields (the web dashboard's stock for order lines and for recommendations): one contract.
    const identity = `${subgraph}\n${print(renamed(parse(fetch.operation), ''))}\n${representations ?? ''}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const ordinal = (ordinals.get(subgraph) ?? 0) + 1;
    ordinals.set(subgraph, ordinal);
    // The planner numbers fetches across the whole plan; numbering per subgraph instead keeps one
    // subgraph's contracts unchanged when another subgraph's share of the plan changes.
    const document = renamed(parse(fetch.operation), `${operationName}__${subgraph}__${ordinal}`);
    contracts.push({
      consumer,
      operationName,
      subgraph,
      file: `subgraphs/${subgraph}/contracts/${contractFileName(consumer, operationName, ordinal)}`,
      source,
      variableUsages: fetch.variableUsages,
      representations,
      expects: fieldExpectations(subgraphSchemas[subgraph], document),
      variables: forwarded(operationVariables, fetch.variableUsages),
      document: `${print(document)}\n`,
    });
  }
  return contracts;
}

/** The operation's representative values of the variables one request forwards; null when there are none. */
function forwarded(variables: Record<string, unknown>, usages: readonly string[]): Record<string, unknown> | null {
  const values = Object.fromEntries(
    usages.filter((name) => variables[name] !== undefined).map((name) => [name, variables[name]]),
  );
  return Object.keys(values).length ? values : null;
}

function renamed(document: DocumentNode, name: string): DocumentNode {
  return visit(document, {
    OperationDefinition(node) {
      return { ...node, name: name ? { kind: Kind.NAME, value: name } : undefined };
    },
  });
}

/** `... on User { __typename id }`: the planner's representation selection, on one line. */
export function printSelections(selections: readonly QueryPlanSelectionNode[]): string {
  return selections
    .map((s) => {
      const inner = s.selections?.length ? ` { ${printSelections(s.selections)} }` : '';
      if (s.kind === 'InlineFragment') return s.typeCondition ? `... on ${s.typeCondition}${inner}` : `...${inner}`;
      return `${s.alias ? `${s.alias}: ` : ''}${s.name}${inner}`;
    })
    .join(' ');
}

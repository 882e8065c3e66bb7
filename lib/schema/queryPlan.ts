import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import {
  prettyFormatQueryPlan,
  QueryPlanner,
  type FetchNode,
  type PlanNode,
  type QueryPlan,
  type QueryPlanSelectionNode,
} from '@apollo/query-planner';
import type { DocumentNode } from 'graphql';

/** One subgraph request of a plan: what a consumer sends to that subgraph, and when. */
export interface PlannedFetch {
  serviceName: string;
  operation: string;
  operationKind: string;
  variableUsages: string[];
  /** The representation fields an entity fetch sends (`_entities`); empty for a root fetch. */
  requires: readonly QueryPlanSelectionNode[];
  /** 1 for fetches made at once, 2 for those that wait on the first round, and so on. */
  round: number;
}

export interface PlanSummary {
  fetches: PlannedFetch[];
  /** Subgraph requests per execution of the operation. */
  fetchCount: number;
  /** The longest chain of fetches that must wait on each other (the plan's sequential depth). */
  sequenceDepth: number;
  /** Apollo's own rendering of the plan, for reports. */
  pretty: string;
}

/** Plans operations against one supergraph; build it once per supergraph (planning is cached per call site). */
export class OperationPlanner {
  private readonly supergraph: Supergraph;
  private readonly planner: QueryPlanner;

  constructor(supergraphSdl: string) {
    this.supergraph = Supergraph.build(supergraphSdl);
    this.planner = new QueryPlanner(this.supergraph);
  }

  plan(document: DocumentNode, operationName?: string): PlanSummary {
    const operation = operationFromDocument(this.supergraph.apiSchema(), document, { operationName });
    const plan: QueryPlan = this.planner.buildQueryPlan(operation);
    const fetches: PlannedFetch[] = [];
    const sequenceDepth = plan.node && plan.node.kind !== 'Subscription' ? walk(plan.node, 1, fetches) : 0;
    return { fetches, fetchCount: fetches.length, sequenceDepth, pretty: prettyFormatQueryPlan(plan) };
  }
}

/** Collects the fetches under `node`, starting in `round`; returns the last round the node needs. */
function walk(node: PlanNode, round: number, into: PlannedFetch[]): number {
  switch (node.kind) {
    case 'Fetch':
      into.push(fetchOf(node, round));
      return round;
    case 'Flatten':
      return walk(node.node, round, into);
    case 'Parallel':
      return Math.max(round - 1, ...node.nodes.map((child) => walk(child, round, into)));
    case 'Sequence':
      return node.nodes.reduce((last, child) => walk(child, last + 1, into), round - 1);
    case 'Condition':
      return Math.max(
        node.ifClause ? walk(node.ifClause, round, into) : round - 1,
        node.elseClause ? walk(node.elseClause, round, into) : round - 1,
      );
    case 'Defer':
      return Math.max(
        node.primary.node ? walk(node.primary.node, round, into) : round - 1,
        ...node.deferred.map((d) => (d.node ? walk(d.node, round + 1, into) : round)),
      );
  }
}

function fetchOf(node: FetchNode, round: number): PlannedFetch {
  return {
    serviceName: node.serviceName,
    operation: node.operation,
    operationKind: node.operationKind,
    variableUsages: node.variableUsages ?? [],
    requires: node.requires ?? [],
    round,
  };
}

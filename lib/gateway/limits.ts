import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql';
import { appError } from '../errors.ts';
import { analyzeOperation, type OperationAnalysis } from '../graphql/analysis.ts';
import type { CostModel } from '../graphql/cost.ts';
import { MAX_PAGE_SIZE } from '../graphql/pagination.ts';
import type { GatewayContext } from './context.ts';

/** Per-client operation limits; each has its own error code so clients can tell them apart. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Field selections once fragments are expanded (`MAX_EXPANDED_FIELDS`); DEFAULT_MAX_EXPANDED_FIELDS when absent. */
  maxExpandedFields?: number;
}

export const DEFAULT_MAX_EXPANDED_FIELDS = 20_000;

export const LIMIT_CODES = {
  depth: 'DEPTH_LIMIT_EXCEEDED',
  aliases: 'ALIAS_LIMIT_EXCEEDED',
  directives: 'DIRECTIVE_LIMIT_EXCEEDED',
  tokens: 'TOKEN_LIMIT_EXCEEDED',
  cost: 'COST_ESTIMATED_TOO_EXPENSIVE',
  expandedFields: 'EXPANDED_FIELDS_LIMIT_EXCEEDED',
} as const;

/**
 * graphql-armor's rules do the counting (fragments, cycles, introspection); we only replace how they
 * reject, so each limit reports its own code instead of a generic validation failure.
 */
function coded(code: string) {
  return {
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } }));
      },
    ],
  };
}

export function limitValidationRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({
      n: limits.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      ...coded(LIMIT_CODES.depth),
    }),
    // No allow-list: 100 aliases of `__typename` are 100 aliases (graphql-armor exempts it by default).
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...coded(LIMIT_CODES.aliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...coded(LIMIT_CODES.directives) }),
  ];
}

/** A figure for a message: an expansion of 10^30 fields is "more than 9007199254740991". */
function shown(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : `more than ${Number.MAX_SAFE_INTEGER}`;
}

/** Analyses remembered per document and operation: at most this many variable shapes each (oldest dropped first). */
export const ANALYSES_PER_OPERATION = 256;

/** One document's operation: the variables its analysis reads, and its analyses by their values. */
interface RememberedOperation {
  variablesRead: readonly string[];
  byValues: Map<string, OperationAnalysis>;
}

/** A key of the read variables' values; a missing variable differs from a null one (defaults apply to the first). */
function valuesKey(names: readonly string[], variables: Record<string, unknown>): string {
  let key = '';
  for (const name of names) {
    const value = variables[name];
    key += value === undefined ? '\u0000' : JSON.stringify(value);
    key += '\u0001';
  }
  return key;
}

/**
 * The gateway's operation analysis, once per request, for every plugin: the limits below, the rate
 * limiter (cost, field budgets) and whoever else needs fields used or cost. Keyed by Apollo's request
 * object, which lives exactly as long as the request. Across requests it is remembered per parsed
 * document (Apollo keeps one DocumentNode per query text in its document store, so a known query
 * arrives as the same object), operation name and the values of the variables the analysis reads
 * (page sizes): a catalog page with a new filter is not walked again. `analyze` must be pure.
 */
export class RequestAnalyses {
  private readonly analyses = new WeakMap<GraphQLRequest, OperationAnalysis>();
  private readonly refusals = new WeakMap<GraphQLRequest, GraphQLError | null>();
  /** Gone with the document when Apollo's store drops it; bounded per operation by ANALYSES_PER_OPERATION. */
  private readonly remembered = new WeakMap<DocumentNode, Map<string, RememberedOperation>>();
  readonly maxExpandedFields: number;

  constructor(
    readonly model: CostModel,
    readonly limits: OperationLimits,
    readonly analyze: typeof analyzeOperation = analyzeOperation,
  ) {
    this.maxExpandedFields = limits.maxExpandedFields ?? DEFAULT_MAX_EXPANDED_FIELDS;
  }

  of({ document, request }: { document: DocumentNode; request: GraphQLRequest }): OperationAnalysis {
    let analysis = this.analyses.get(request);
    if (!analysis) {
      analysis = this.remember(document, request.operationName ?? '', request.variables ?? {});
      this.analyses.set(request, analysis);
    }
    return analysis;
  }

  /** The analysis of this document's operation with these variables, computed once per read variables' values. */
  private remember(
    document: DocumentNode,
    operationName: string,
    variables: Record<string, unknown>,
  ): OperationAnalysis {
    let operations = this.remembered.get(document);
    if (!operations) {
      operations = new Map();
      this.remembered.set(document, operations);
    }
    const known = operations.get(operationName);
    const key = known ? valuesKey(known.variablesRead, variables) : '';
    const found = known?.byValues.get(key);
    if (found) return found;
    const analysis = this.analyze(this.model, document, operationName || undefined, variables, {
      maxListSize: MAX_PAGE_SIZE,
    });
    const entry = known ?? { variablesRead: analysis.variablesRead, byValues: new Map() };
    if (!known) operations.set(operationName, entry);
    if (entry.byValues.size >= ANALYSES_PER_OPERATION) {
      for (const oldest of entry.byValues.keys()) {
        entry.byValues.delete(oldest);
        break;
      }
    }
    entry.byValues.set(known ? key : valuesKey(entry.variablesRead, variables), analysis);
    return analysis;
  }

  /**
   * Why the gateway refuses this operation, in the order it checks: its expanded size (before
   * anything else, so nothing scales with a fan-out), its slicing arguments, its cost. Null admits it.
   */
  refusal(requestContext: { document: DocumentNode; request: GraphQLRequest }): GraphQLError | null {
    const known = this.refusals.get(requestContext.request);
    if (known !== undefined) return known;
    const refusal = this.check(this.of(requestContext));
    this.refusals.set(requestContext.request, refusal);
    return refusal;
  }

  private check(analysis: OperationAnalysis): GraphQLError | null {
    const http = { status: 400 };
    if (analysis.expandedFields > this.maxExpandedFields) {
      return appError(
        LIMIT_CODES.expandedFields,
        `Operation selects ${shown(analysis.expandedFields)} fields once its fragments are expanded; the limit is ${this.maxExpandedFields}`,
        {
          expandedFields: Math.min(analysis.expandedFields, Number.MAX_SAFE_INTEGER),
          maxExpandedFields: this.maxExpandedFields,
          http,
        },
      );
    }
    const [violation] = analysis.slicingViolations;
    if (violation) {
      return appError(
        'BAD_USER_INPUT',
        `"${violation.argument}" of ${violation.coordinate} must be an integer between 1 and ${MAX_PAGE_SIZE}, got ${JSON.stringify(violation.value) ?? String(violation.value)}`,
        { argumentName: violation.argument, http },
      );
    }
    const { maxCost } = this.limits;
    if (analysis.cost > maxCost) {
      return appError(
        LIMIT_CODES.cost,
        `Operation cost ${shown(analysis.cost)} exceeds the limit of ${maxCost}; ask for fewer or smaller lists`,
        { cost: Math.min(analysis.cost, Number.MAX_SAFE_INTEGER), maxCost, http },
      );
    }
    return null;
  }
}

/**
 * Refuses an operation the analysis finds too large, badly sliced or too expensive. It needs the
 * variables (a page size is usually one), so it runs once the operation is resolved rather than as a
 * validation rule, first among the plugins: nothing is spent, looked up, planned or fetched for a
 * refused operation.
 */
export function operationLimitsPlugin(analyses: RequestAnalyses): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart() {
      return Promise.resolve({
        didResolveOperation(requestContext) {
          const refusal = analyses.refusal(requestContext);
          return refusal ? Promise.reject(refusal) : Promise.resolve();
        },
      });
    },
  };
}

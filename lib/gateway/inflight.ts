import { OperationTypeNode } from 'graphql';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { GatewayContext } from './context.ts';

/** How many queries were executed, and how many were answered by a run already in flight. */
export interface InflightStats {
  executed: number;
  shared: number;
}

/**
 * The key of a query that may share another's run: same document, operation and variables, and the
 * same caller (user id, or client address when anonymous: `Query.rateLimit` reads the caller's
 * budget, so no answer is shared across callers). Null for anything that is not a query.
 */
function keyOf(requestContext: Parameters<GatewayExecutor>[0]): string | null {
  if (requestContext.operation.operation !== OperationTypeNode.QUERY) return null;
  const context = requestContext.context as Partial<GatewayContext>;
  const caller = context.userId ? `u:${context.userId}` : `ip:${context.clientIp ?? ''}`;
  return `${requestContext.queryHash}\n${requestContext.operationName ?? ''}\n${JSON.stringify(requestContext.request.variables ?? {})}\n${caller}`;
}

/**
 * Identical queries in flight at once run once: the first executes the plan, the others wait for its
 * result and answer with it (each still parsed, validated, admitted by its own rate limit and
 * formatted by its own pipeline). Only for a gateway without the response cache, whose per-request
 * state (policy, tags) is filled by a request's own subgraph fetches and so cannot be shared.
 */
export function sharingInflightQueries(
  gateway: GatewayInterface,
  stats: InflightStats = { executed: 0, shared: 0 },
): { gateway: GatewayInterface; stats: InflightStats } {
  const running = new Map<string, ReturnType<GatewayExecutor>>();
  const share =
    (executor: GatewayExecutor): GatewayExecutor =>
    (requestContext) => {
      const key = keyOf(requestContext);
      if (key === null) return executor(requestContext);
      const inflight = running.get(key);
      if (inflight) {
        stats.shared += 1;
        // A shallow copy per request: the pipeline sets its own errors and extensions on the response.
        return inflight.then((result) => ({ ...result }));
      }
      stats.executed += 1;
      const run = executor(requestContext).finally(() => running.delete(key));
      running.set(key, run);
      return run.then((result) => ({ ...result }));
    };
  return {
    stats,
    gateway: {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
      load: async (options) => {
        const loaded = await gateway.load(options);
        return { ...loaded, executor: loaded.executor ? share(loaded.executor) : null };
      },
    },
  };
}

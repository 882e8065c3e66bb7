import type { GraphQLFormattedError } from 'graphql';

/** Why a call reached a subgraph and still failed; each of these counts against the instance and the breaker. */
export type FailureReason = 'TIMEOUT' | 'UNREACHABLE' | 'HTTP_ERROR' | 'BAD_RESPONSE';

/** Why the gateway did not even try: the call failed fast. */
export type RejectionReason = 'CIRCUIT_OPEN' | 'BULKHEAD_FULL' | 'QUEUE_TIMEOUT' | 'NO_HEALTHY_INSTANCE';

/**
 * A call that was sent and failed. `detail` is for logs only (it may name hosts and ports); clients
 * get the reason and a message from `clientErrorFor`.
 */
export class SubgraphCallFailed extends Error {
  constructor(
    readonly reason: FailureReason,
    readonly detail: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(`${reason}: ${detail}`, { cause });
    this.name = 'SubgraphCallFailed';
  }
}

export class SubgraphCallRejected extends Error {
  constructor(readonly reason: RejectionReason) {
    super(reason);
    this.name = 'SubgraphCallRejected';
  }
}

const FAILURE_MESSAGES: Record<FailureReason, (service: string, status?: number) => string> = {
  TIMEOUT: (service) => `The ${service} service did not answer in time`,
  UNREACHABLE: (service) => `The ${service} service could not be reached`,
  HTTP_ERROR: (service, status) => `The ${service} service answered with an error${status ? ` (HTTP ${status})` : ''}`,
  BAD_RESPONSE: (service) => `The ${service} service sent an invalid response`,
};

/**
 * The error a client sees for a subgraph call that did not produce data: a message and a code that
 * name the service and the reason, never a host, port, stack or the subgraph's raw body.
 * DOWNSTREAM_SERVICE_ERROR means the gateway tried; SERVICE_UNAVAILABLE means it failed fast.
 */
export function clientErrorFor(
  serviceName: string,
  error: SubgraphCallFailed | SubgraphCallRejected | null,
): GraphQLFormattedError {
  if (error instanceof SubgraphCallRejected) {
    return {
      message: `The ${serviceName} service is temporarily unavailable`,
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName, reason: error.reason },
    };
  }
  if (error instanceof SubgraphCallFailed) {
    return {
      message: FAILURE_MESSAGES[error.reason](serviceName, error.status),
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName, reason: error.reason },
    };
  }
  return {
    message: `The ${serviceName} service could not answer`,
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName },
  };
}

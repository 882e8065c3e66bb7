import { randomUUID } from 'node:crypto';
import { signIdentity, type IdentitySigningConfig } from '../auth/index.ts';
import { parseInstanceUrls } from '../transport/index.ts';
import {
  clientErrorFor,
  SubgraphCallFailed,
  SubgraphCallRejected,
  SubgraphUpstream,
  type SubgraphPolicy,
} from '../transport/index.ts';
import type { Logger } from '../observability/index.ts';
import { SUBGRAPHS, urlVariable, type SubgraphName } from '../services.ts';

/** The service answered, with GraphQL errors: `code` is the first error's `extensions.code`. */
export class ServiceGraphQLError extends Error {
  constructor(
    readonly service: string,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceGraphQLError';
  }
}

export interface ServiceRequest {
  query: string;
  variables: Record<string, unknown>;
  /** Whom the call acts for: the signed identity carries this user with client `service`. */
  userId: string | null;
  /** Queries may be retried by the transport; a mutation is sent once (its caller decides on retries). */
  kind: 'query' | 'mutation';
  requestId?: string;
}

export interface ServiceClientOptions {
  name: SubgraphName;
  urls: readonly string[];
  policy: SubgraphPolicy;
  signing: Pick<IdentitySigningConfig, 'secret'>;
  logger: Logger;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One service calling another's GraphQL endpoint directly, through the transport the gateways use
 * (lib/transport: timeouts, breaker, bulkhead, instances from discovery, retries for
 * queries only), with a freshly signed `service` identity on every attempt.
 */
export class ServiceClient {
  readonly upstream: SubgraphUpstream;

  constructor(private readonly options: ServiceClientOptions) {
    this.upstream = new SubgraphUpstream(options.name, options.urls, options.policy, options.logger);
    this.upstream.instances.startHealthChecks();
  }

  /**
   * The response's `data`, or: ServiceGraphQLError when the service answered with errors;
   * SubgraphCallFailed / SubgraphCallRejected when no answer came (sent and failed / failed fast).
   */
  async request(request: ServiceRequest): Promise<Record<string, unknown>> {
    const scope = this.upstream.scope(request.kind === 'query', Date.now() + this.options.policy.budgetMs);
    const body = JSON.stringify({ query: request.query, variables: request.variables });
    const requestId = request.requestId ?? randomUUID();
    const response = await this.upstream.call(scope, () =>
      this.upstream.send(
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-request-id': requestId,
            ...signIdentity({ userId: request.userId, client: 'service' }, this.options.signing),
          },
          body,
        },
        scope,
      ),
    );
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch (error) {
      throw new SubgraphCallFailed(
        'BAD_RESPONSE',
        `${this.options.name} answered HTTP ${response.status} with malformed JSON`,
        response.status,
        error,
      );
    }
    const errors = isRecord(parsed) && Array.isArray(parsed.errors) ? parsed.errors : [];
    if (errors.length > 0) {
      const first: unknown = errors[0];
      const code =
        isRecord(first) && isRecord(first.extensions) && typeof first.extensions.code === 'string'
          ? first.extensions.code
          : null;
      const message = isRecord(first) && typeof first.message === 'string' ? first.message : 'unknown error';
      throw new ServiceGraphQLError(this.options.name, code, message);
    }
    if (!isRecord(parsed) || !isRecord(parsed.data)) {
      throw new SubgraphCallFailed(
        'BAD_RESPONSE',
        `${this.options.name} answered HTTP ${response.status} without data`,
        response.status,
      );
    }
    return parsed.data;
  }

  async close(): Promise<void> {
    await this.upstream.close();
  }
}

/** What a caller may show about a failed call: the service and the reason, never a host or a stack. */
export function describeServiceFailure(service: string, error: unknown): string {
  if (error instanceof ServiceGraphQLError)
    return `${service}: ${error.code ?? 'ERROR'}: ${error.message}`.slice(0, 500);
  if (error instanceof SubgraphCallFailed || error instanceof SubgraphCallRejected)
    return clientErrorFor(service, error).message;
  return `${service}: unexpected error`;
}

/**
 * A service's instances from env, as the gateways read them: `<NAME>_URLS` (comma-separated) wins
 * over `<NAME>_URL`, which defaults to the service's local port.
 */
export function serviceUrlsFromEnv(name: SubgraphName, env: NodeJS.ProcessEnv): string[] {
  const list = env[`${urlVariable(name)}S`];
  const single = env[urlVariable(name)];
  const variable = list?.trim() ? `${urlVariable(name)}S` : urlVariable(name);
  try {
    return parseInstanceUrls(
      list?.trim() ? list : single?.trim() ? single : `http://127.0.0.1:${SUBGRAPHS[name].port}/graphql`,
    );
  } catch (error) {
    throw new Error(`${variable} ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

import type { GraphQLFormattedError } from 'graphql';
import { ErrorCodes } from '../../errors.ts';

/** Request latencies: 5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_CODES = new Set<string>([
  ...Object.keys(ErrorCodes),
  // Apollo's own, and the gateway's for subgraph failures.
  'DOWNSTREAM_SERVICE_ERROR',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** An error code as a label: one of the catalogue's (or Apollo's), else OTHER, so a subgraph cannot invent labels. */
export function errorCodeLabel(code: unknown): string {
  return typeof code === 'string' && KNOWN_CODES.has(code) ? code : 'OTHER';
}

export function operationTypeOf(operation: string | undefined): string {
  return operation === 'query' || operation === 'mutation' || operation === 'subscription' ? operation : 'unknown';
}

/** The errors of a single (non-incremental) response. */
export function responseErrors(response: {
  body: { kind: string; singleResult?: { errors?: readonly GraphQLFormattedError[] } };
}): readonly GraphQLFormattedError[] {
  return response.body.kind === 'single' ? (response.body.singleResult?.errors ?? []) : [];
}

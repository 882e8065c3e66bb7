import { GraphQLError } from 'graphql';

/**
 * The one catalogue of error codes clients can rely on. Codes are part of the API: never rename one.
 * `status` is the HTTP status used when the error ends a request before GraphQL execution.
 */
export const ErrorCodes = {
  BAD_USER_INPUT: { status: 400 },
  NOT_FOUND: { status: 404 },
  // A create that would duplicate something unique (a second review of one product by one user).
  ALREADY_EXISTS: { status: 409 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  BAD_REQUEST: { status: 400 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  GRAPHQL_PARSE_FAILED: { status: 400 },
  GRAPHQL_VALIDATION_FAILED: { status: 400 },
  INTERNAL_SERVER_ERROR: { status: 500 },
  SERVICE_UNAVAILABLE: { status: 503 },
  // Operation limits at the gateways (each its own code, so a client knows which one it hit).
  DEPTH_LIMIT_EXCEEDED: { status: 400 },
  ALIAS_LIMIT_EXCEEDED: { status: 400 },
  DIRECTIVE_LIMIT_EXCEEDED: { status: 400 },
  TOKEN_LIMIT_EXCEEDED: { status: 400 },
  COST_ESTIMATED_TOO_EXPENSIVE: { status: 400 },
  // More fields once fragments are expanded than MAX_EXPANDED_FIELDS: refused before anything else runs.
  EXPANDED_FIELDS_LIMIT_EXCEEDED: { status: 400 },
  // Persisted operations (Apollo's APQ protocol answers PERSISTED_QUERY_NOT_FOUND with 200).
  PERSISTED_QUERY_NOT_FOUND: { status: 200 },
  PERSISTED_QUERY_NOT_IN_LIST: { status: 400 },
  // An automatic persisted query whose text is longer than APQ_MAX_QUERY_BYTES: not registered, not run.
  PERSISTED_QUERY_TOO_LARGE: { status: 400 },
  // Per-user rate limits at the gateways: over budget, with Retry-After.
  RATE_LIMITED: { status: 429 },
  // The card processor failed for a reason a retry of the same saga step may fix; nothing was captured.
  PAYMENT_PROCESSOR_UNAVAILABLE: { status: 503 },
  // Checkout: an idempotency key sent again with a different input (IETF httpapi idempotency-key draft: 422).
  IDEMPOTENCY_KEY_REUSED: { status: 422 },
  // Checkout: the cart changed (another checkout emptied it, an edit landed) between pricing and placing.
  CART_CHANGED: { status: 409 },
  // Checkout: a product in the cart lacks the units ordered (sold out, or held by other checkouts); nothing was charged.
  OUT_OF_STOCK: { status: 409 },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * Makes an error without capturing a stack trace: for errors that are answers, not faults (a
 * refusal, a subgraph's error relayed by a gateway), whose stack tells nothing. Capturing one, and
 * formatting it through source maps where they are on, cost about a quarter of a millisecond per
 * error: the costliest single step of a checkout refused in a sold-out rush, at orders and again
 * at the gateway relaying it.
 */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export function appError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/** A bad argument value; `argumentName` lets clients point at the offending input. */
export function badUserInput(message: string, argumentName: string): GraphQLError {
  return appError('BAD_USER_INPUT', message, { argumentName });
}

export function notFound(typeName: string, id: string): GraphQLError {
  return appError('NOT_FOUND', `${typeName} ${id} was not found`, { typeName, id });
}

export function unauthenticated(message = 'You must be signed in to read this field'): GraphQLError {
  return appError('UNAUTHENTICATED', message);
}

export function forbidden(message: string): GraphQLError {
  return appError('FORBIDDEN', message);
}

/**
 * An error that ends the whole request with its code's HTTP status (and optional response headers)
 * when thrown from a context factory: Apollo reads `extensions.http` and removes it from the response.
 */
export function requestError(code: ErrorCode, message: string, headers: Record<string, string> = {}): GraphQLError {
  const http = {
    status: ErrorCodes[code].status,
    headers: new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  return appError(code, message, { http });
}

/** Codes that come from our catalogue or from Apollo's request pipeline and are safe to show as they are. */
const PUBLIC_CODES = new Set<string>([
  ...Object.keys(ErrorCodes),
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'DOWNSTREAM_SERVICE_ERROR',
]);

export function isPublicCode(code: unknown): code is string {
  return typeof code === 'string' && PUBLIC_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR';
}

import { GraphQLError } from 'graphql';

/**
 * The one catalogue of error codes clients can rely on. Codes are part of the API: never rename one.
 * `status` is the HTTP status used when the error ends a request before GraphQL execution.
 */
export const ErrorCodes = {
  BAD_USER_INPUT: { status: 400 },
  NOT_FOUND: { status: 404 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  BAD_REQUEST: { status: 400 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  GRAPHQL_PARSE_FAILED: { status: 400 },
  GRAPHQL_VALIDATION_FAILED: { status: 400 },
  INTERNAL_SERVER_ERROR: { status: 500 },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

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

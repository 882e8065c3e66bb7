import type { GraphQLFormattedError } from 'graphql';
import { isPublicCode } from '../errors.ts';
import type { Logger } from '../observability/index.ts';

/**
 * Apollo's `formatError`: errors from our catalogue and Apollo's request pipeline go out as they are;
 * anything else (a Prisma error, a bug) becomes a generic INTERNAL_SERVER_ERROR so no SQL, stack or
 * host name reaches a client. The original is logged for operators.
 */
/**
 * Apollo wraps what a validation rule or the parser reports in its own GRAPHQL_VALIDATION_FAILED /
 * GRAPHQL_PARSE_FAILED. A limit (depth, aliases, tokens...) must keep its own code, so take it back
 * from the original error; graphql-js's token limit has no code, only its documented message.
 */
/**
 * Duck-typed, not `instanceof GraphQLError`: graphql ships CJS and ESM builds, and a test runner or
 * bundler may load both, making errors from one copy fail the other's instanceof.
 */
function originalCode(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('originalError' in error)) return undefined;
  const original = error.originalError;
  if (typeof original !== 'object' || original === null || !('extensions' in original)) return undefined;
  const extensions = original.extensions;
  return typeof extensions === 'object' && extensions !== null && 'code' in extensions ? extensions.code : undefined;
}

function ownCode(formatted: GraphQLFormattedError, error: unknown): unknown {
  const code = formatted.extensions?.code;
  if (code === 'GRAPHQL_PARSE_FAILED' && /contains more tha[nt] \d+ tokens/.test(formatted.message))
    return 'TOKEN_LIMIT_EXCEEDED';
  if (code === 'GRAPHQL_VALIDATION_FAILED') return originalCode(error) ?? code;
  return code;
}

/** What a production client reads instead of a validation message that could name the schema. */
export const HIDDEN_VALIDATION_MESSAGE = 'The operation is not valid against this API';

/**
 * In production a validation message must not teach a stranger the schema: graphql-js names types
 * and fields the caller never wrote (`Field "price" of type "Money!" must have a selection of
 * subfields`, `Cannot query field "x" on type "Product"`), which wordlist tools such as Clairvoyance
 * rebuild a schema from with introspection off. Such errors keep their code and locations and get
 * one generic message; a bad variable value keeps only the variable's name, which the caller wrote.
 */
function hiddenMessage(code: unknown, message: string): string | null {
  if (code === 'GRAPHQL_VALIDATION_FAILED') return HIDDEN_VALIDATION_MESSAGE;
  const variable = /^Variable "(\$[_A-Za-z][_0-9A-Za-z]*)"/.exec(message);
  if (code === 'BAD_USER_INPUT' && variable) return `Variable "${variable[1]}" got an invalid value`;
  return null;
}

export function maskInternalErrors(logger: Logger, options: { production?: boolean } = {}) {
  return (raw: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = ownCode(raw, error);
    const formatted = code === raw.extensions?.code ? raw : { ...raw, extensions: { ...raw.extensions, code } };
    if (isPublicCode(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      const hidden = options.production ? hiddenMessage(code, formatted.message) : null;
      return { ...formatted, ...(hidden ? { message: hidden } : {}), extensions };
    }
    logger.error({ err: error, path: formatted.path }, 'internal error while resolving');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

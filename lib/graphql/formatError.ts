import type { GraphQLFormattedError } from 'graphql';
import { isPublicCode } from '../errors.ts';
import type { Logger } from '../observability/index.ts';

/**
 * Apollo's `formatError`: errors from our catalogue and Apollo's request pipeline go out as they are;
 * anything else (a Prisma error, a bug) becomes a generic INTERNAL_SERVER_ERROR so no SQL, stack or
 * host name reaches a client. The original is logged for operators.
 */
export function maskInternalErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isPublicCode(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
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

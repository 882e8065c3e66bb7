import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { subgraphSchemaPath } from '../composition.ts';
import type { SubgraphName } from '../services.ts';
import { maskInternalErrors } from '../graphql/formatError.ts';
import type { Logger } from '../observability/index.ts';
import { staticCacheControlPlugin } from './cacheControl.ts';

/**
 * A subgraph's Apollo server: federation schema from `subgraphs/<name>/schema.graphql`, no CDN landing page, no stack traces,
 * internal errors masked.
 */
export function createSubgraphApollo<TContext extends object>(options: {
  name: SubgraphName;
  resolvers: GraphQLResolverMap<unknown>;
  logger: Logger;
}): ApolloServer<TContext> {
  return subgraphApollo<TContext>(
    buildSubgraphSchema({
      typeDefs: parse(readFileSync(subgraphSchemaPath(options.name), 'utf8')),
      resolvers: options.resolvers,
    }),
    options.logger,
  );
}

/** A subgraph's Apollo server for a federation schema already built (tests build theirs from inline SDL). */
export function subgraphApollo<TContext extends object>(schema: GraphQLSchema, logger: Logger): ApolloServer<TContext> {
  const formatError = maskInternalErrors(logger);
  const apollo = new ApolloServer<TContext>({
    schema,
    // Inline traces (ftv1) only serve Apollo Studio, which we do not use; they cost time on every request.
    // The `cache-control` header from the document's static hints (cacheControl.ts), not from a
    // wrapper around every resolver call.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      staticCacheControlPlugin(),
    ],
    includeStacktraceInErrorResponses: false,
    formatError,
    logger,
    // SIGTERM and SIGINT are closeOnSignals' (lib/http/shutdown.ts): it drains, then stops Apollo. With
    // Apollo's own handler too (its default outside NODE_ENV=test), the stop never resolved and every
    // stop overran its drain and exited 1.
    stopOnTerminationSignals: false,
  });
  servedBy.set(apollo, { schema, formatError });
  return apollo;
}

/** What a subgraph's Apollo server was built from, for the lean path (leanExecution.ts) to serve the same. */
export interface SubgraphApolloParts {
  schema: GraphQLSchema;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

const servedBy = new WeakMap<object, SubgraphApolloParts>();

/** The parts of a server `createSubgraphApollo` made; undefined for any other Apollo server. */
export function subgraphApolloParts(apollo: object): SubgraphApolloParts | undefined {
  return servedBy.get(apollo);
}

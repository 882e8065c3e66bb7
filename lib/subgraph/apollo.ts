import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse } from 'graphql';
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
  return new ApolloServer<TContext>({
    schema: buildSubgraphSchema({
      typeDefs: parse(readFileSync(subgraphSchemaPath(options.name), 'utf8')),
      resolvers: options.resolvers,
    }),
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
    formatError: maskInternalErrors(options.logger),
    logger: options.logger,
    // SIGTERM and SIGINT are closeOnSignals' (lib/http/shutdown.ts): it drains, then stops Apollo. With
    // Apollo's own handler too (its default outside NODE_ENV=test), the stop never resolved and every
    // stop overran its drain and exited 1.
    stopOnTerminationSignals: false,
  });
}

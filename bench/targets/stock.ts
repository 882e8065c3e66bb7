// Stock @apollo/gateway for the bench: plain ApolloGateway + @apollo/server's standalone server, its
// BFF subgraph in-process like ours, the bearer token verified and the identity signed onto every
// subgraph call in RemoteGraphQLDataSource.willSendRequest, as our gateways do. Nothing else added:
// this is what a team would run before building a gateway of its own.
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { z } from 'zod';
import {
  bearerToken,
  createTokenVerifier,
  identitySigningConfigFromEnv,
  jwtConfigFromEnv,
  signIdentity,
  type Identity,
} from '../../lib/auth/index.ts';
import { gatewaySupergraphPath } from '../../lib/composition.ts';
import { bffDataSource, type GatewayContext } from '../../lib/gateway/index.ts';
import { mobileProfile } from '../../gateway-mobile/src/profile.ts';
import { webProfile } from '../../gateway-web/src/profile.ts';
import { serveParent } from '../ipc.ts';
import { keepApolloTelemetryOff } from '../../lib/gateway/apolloTelemetry.ts';
import { RequestRateLimit } from '../../lib/ratelimit/index.ts';

const options = z
  .object({ BENCH_PROFILE: z.enum(['web', 'mobile']), BENCH_SUBGRAPH_URLS: z.string() })
  .parse(process.env);
const urls = z.record(z.string(), z.string()).parse(JSON.parse(options.BENCH_SUBGRAPH_URLS));
const profile = options.BENCH_PROFILE === 'web' ? webProfile : mobileProfile;
const signing = identitySigningConfigFromEnv(process.env);
const verifier = createTokenVerifier(jwtConfigFromEnv(process.env));

class SigningDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Schema loads and health checks carry no request context; requests of a plan always do.
    if (!context || !('signedIdentityHeaders' in context)) return;
    const headers: Record<string, string> = (context as GatewayContext).signedIdentityHeaders();
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }
}

// Stock as shipped, but for its usage telemetry to Apollo: the bench sends nothing outside this machine.
keepApolloTelemetryOff();
const bff = bffDataSource(profile.name, profile.bff);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(gatewaySupergraphPath(profile.name), 'utf8'),
  buildService: ({ name }) => {
    if (name === bff.name) return bff.source;
    const url = urls[name];
    if (!url) throw new Error(`no URL for subgraph ${name}`);
    return new SigningDataSource({ url });
  },
});
const server = new ApolloServer<GatewayContext>({ gateway, plugins: [ApolloServerPluginLandingPageDisabled()] });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => {
    const token = bearerToken(req.headers.authorization);
    const identity: Identity = {
      userId: token === null ? null : (await verifier.verify(token)).userId,
      client: profile.name,
    };
    return {
      requestId: '',
      traceparent: '',
      userId: identity.userId,
      client: identity.client,
      clientIp: req.socket.remoteAddress ?? 'unknown',
      signedIdentityHeaders: () => signIdentity(identity, signing),
      rateLimit: new RequestRateLimit(),
    };
  },
});
process.on('SIGTERM', () => {
  void server.stop().finally(() => process.exit(0));
});
serveParent({ url });

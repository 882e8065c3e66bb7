// The two BFF subgraphs over HTTP, for a peer gateway that cannot run them in-process (Hive Gateway):
// the same schema and resolvers as our gateways' in-process ones, the caller taken from the signed
// identity headers exactly as a domain subgraph takes it.
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { identitySigningConfigFromEnv, verifySignedIdentity } from '../../lib/auth/index.ts';
import { requestError } from '../../lib/errors.ts';
import { bffDataSource } from '../../lib/gateway/index.ts';
import type { GatewayContext } from '../../lib/gateway/index.ts';
import { startGraphQLServer, type RunningServer } from '../../lib/http/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';
import type { GatewayName } from '../../lib/services.ts';
import { mobileProfile } from '../../gateway-mobile/src/profile.ts';
import { webProfile } from '../../gateway-web/src/profile.ts';
import { serveParent } from '../ipc.ts';
import { RequestRateLimit } from '../../lib/ratelimit/index.ts';

const signing = identitySigningConfigFromEnv(process.env);
const logger = silentLogger();

async function serve(gateway: GatewayName): Promise<RunningServer> {
  const profile = gateway === 'web' ? webProfile : mobileProfile;
  const { source } = bffDataSource(gateway, profile.bff);
  return startGraphQLServer({
    apollo: new ApolloServer<GatewayContext>({
      schema: source.schema,
      plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    }),
    context: ({ req, requestId, traceparent }) => {
      const verdict = verifySignedIdentity(req.headers, signing);
      if (!verdict.ok) throw requestError('UNAUTHENTICATED', 'This service only answers requests signed by a gateway');
      return Promise.resolve({
        requestId,
        traceparent,
        userId: verdict.identity.userId,
        client: verdict.identity.client,
        clientIp: 'bench',
        signedIdentityHeaders: () => ({}),
        rateLimit: new RequestRateLimit(),
      });
    },
    ready: () => Promise.resolve({ ready: true, checks: {} }),
    logger,
    port: 0,
  });
}

const web = await serve('web');
const mobile = await serve('mobile');
process.on('SIGTERM', () => {
  void Promise.all([web.close(), mobile.close()]).finally(() => process.exit(0));
});
serveParent({ web: web.url, mobile: mobile.url });

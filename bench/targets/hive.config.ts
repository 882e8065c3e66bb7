// Hive Gateway's config for the bench (run through its own CLI, `hive-gateway supergraph FILE`): its
// defaults, plus the identity our subgraphs require, the bearer token verified once per client
// request and the identity signed onto every subgraph request, as our gateways do.
import { defineConfig } from '@graphql-hive/gateway';
import {
  bearerToken,
  createTokenVerifier,
  identitySigningConfigFromEnv,
  jwtConfigFromEnv,
  signIdentity,
  type Client,
  type Identity,
} from '../../lib/auth/index.ts';

const client: Client = process.env.BENCH_PROFILE === 'mobile' ? 'mobile' : 'web';
const signing = identitySigningConfigFromEnv(process.env);
const verifier = createTokenVerifier(jwtConfigFromEnv(process.env));
const identities = new WeakMap<Request, Promise<Identity>>();

async function identityOf(request: Request): Promise<Identity> {
  const token = bearerToken(request.headers.get('authorization') ?? undefined);
  return { userId: token === null ? null : (await verifier.verify(token)).userId, client };
}

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => {
      let identity = identities.get(request);
      if (!identity) {
        identity = identityOf(request);
        identities.set(request, identity);
      }
      return signIdentity(await identity, signing);
    },
  },
});

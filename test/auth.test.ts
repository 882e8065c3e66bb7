// Authentication and trust through real subgraphs on Postgres and real gateways: bearer tokens are
// verified at the gateway (a bad one is 401 before any subgraph is called), the identity reaches the
// subgraphs only in gateway-signed headers, and users read nothing of each other's orders,
// payments or contact details.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASYMMETRIC_ALGORITHMS, DEV_JWT_AUDIENCE, DEV_JWT_ISSUER } from '../lib/auth/config.ts';
import { AuthConfigError, devToken, IDENTITY_HEADERS, type GatewayAuthConfig } from '../lib/auth/index.ts';
import { listDatabases } from '../lib/db/index.ts';
import { gatewayConfigFromEnv } from '../lib/gateway/index.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { DEMO_USER_ID, LIGHT_BUYER_ID } from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { webProfile } from '../gateway-web/src/profile.ts';
import { asUser, gatewaySigned, postToSubgraph, TEST_SIGNING } from './support/auth.ts';
import { databaseEnv, TEST_SERVER_URL, uniquePrefix } from './support/databases.ts';
import { errorCodes, postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const A = DEMO_USER_ID;
const B = LIGHT_BUYER_ID;
const ISSUER = 'https://id.example.test';
const AUDIENCE = 'bff-web';

let fleet: SubgraphFleet;
let gateway: RunningServer;
let jwksFileGateway: RunningServer;
let jwksUrlGateway: RunningServer;
let jwksServer: Server;
let privateKey: CryptoKey;
let publicKey: CryptoKey;
let publicJwk: JWK;
/** What each subgraph received on /graphql, to prove a refused token reached none of them. */
const seen: Array<{ subgraph: SubgraphName; headers: IncomingHttpHeaders }> = [];
/** B's data as B sees it, to look for in A's answers. */
let bOrders: Array<{ id: string; payment: { id: string } | null }>;
let bEmail: string;

const now = () => Math.floor(Date.now() / 1000);

function rs256(claims: { sub?: string; iss?: string; aud?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setSubject(claims.sub ?? A)
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setExpirationTime('10m')
    .sign(privateKey);
}

function jwksAuth(keySource: GatewayAuthConfig['jwt']['keySource']): GatewayAuthConfig {
  return { jwt: { keySource, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 60 }, signing: TEST_SIGNING };
}

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  for (const name of SUBGRAPH_NAMES) {
    fleet.servers[name].httpServer.on('request', (req: { url?: string; headers: IncomingHttpHeaders }) => {
      if (req.url?.startsWith('/graphql')) seen.push({ subgraph: name, headers: req.headers });
    });
  }
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicKey = pair.publicKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = new URL(`http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`);

  [gateway, jwksFileGateway, jwksUrlGateway] = await Promise.all([
    startTestGateway(fleet.urls),
    startTestGateway(fleet.urls, {
      auth: jwksAuth({
        kind: 'jwks-file',
        path: 'test',
        jwks: { keys: [publicJwk] },
        algorithms: ASYMMETRIC_ALGORITHMS,
      }),
    }),
    startTestGateway(fleet.urls, {
      auth: jwksAuth({ kind: 'jwks-url', url: jwksUrl, algorithms: ASYMMETRIC_ALGORITHMS }),
    }),
  ]);

  const asB = await postGraphQL(
    gateway.url,
    '{ me { email orders(first: 10) { edges { node { id payment { id } } } } } }',
    {},
    await asUser(B),
  );
  expect(asB.body.errors).toBeUndefined();
  const me = asB.body.data?.me as {
    email: string;
    orders: { edges: Array<{ node: { id: string; payment: { id: string } | null } }> };
  };
  bEmail = me.email;
  bOrders = me.orders.edges.map((e) => e.node);
  expect(bOrders.length).toBeGreaterThan(0);
  expect(bOrders.some((o) => o.payment)).toBe(true);
});

afterAll(async () => {
  await Promise.all([gateway?.close(), jwksFileGateway?.close(), jwksUrlGateway?.close()]);
  await new Promise((resolve) => (jwksServer ? jwksServer.close(resolve) : resolve(undefined)));
  await fleet?.close();
});

describe('anonymous callers', () => {
  it('read the catalog and public profiles', async () => {
    const response = await postGraphQL(
      gateway.url,
      `{ products(first: 3) { edges { node { name reviews(first: 1) { edges { node { author { name } } } } } } } user(id: "${B}") { name avatarUrl } }`,
    );
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect((response.body.data?.products as { edges: unknown[] }).edges).toHaveLength(3);
    expect((response.body.data?.user as { name: string }).name).toEqual(expect.any(String));
  });

  it.each([
    ['me', '{ me { id } }'],
    ['orders of a user', `{ user(id: "${B}") { orders(first: 1) { totalCount } } }`],
    ['an order', 'query($id: ID!) { order(id: $id) { id } }'],
    ['a payment', 'query($id: ID!) { payment(id: $id) { id } }'],
    ['an email', `{ user(id: "${B}") { email } }`],
  ])('get UNAUTHENTICATED for %s, and no data of it', async (_what, query) => {
    const id = query.includes('payment(') ? bOrders.find((o) => o.payment)?.payment?.id : bOrders[0]?.id;
    const response = await postGraphQL(gateway.url, query, query.includes('$id') ? { id } : {});
    expect(response.status).toBe(200);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(JSON.stringify(response.body.data)).not.toMatch(
      new RegExp(`${bEmail}|${bOrders.map((o) => o.id).join('|')}`),
    );
  });
});

describe('bearer tokens at the gateway', () => {
  async function expectRefused(url: string, token: string, reason: RegExp) {
    const before = seen.length;
    const response = await postGraphQL(
      url,
      '{ products(first: 1) { edges { node { name } } } me { id } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(response.body.data).toBeUndefined();
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.errors?.[0]?.message).toMatch(reason);
    expect(JSON.stringify(response.body)).not.toContain(token);
    expect(seen.length - before).toBe(0);
  }

  it('a valid development token signs the user in', async () => {
    const response = await postGraphQL(gateway.url, '{ me { id email } }', {}, await asUser(A));
    expect(response.body.errors).toBeUndefined();
    expect((response.body.data?.me as { id: string }).id).toBe(A);
  });

  it('an expired token is 401 past the 60 s skew and accepted just inside it', async () => {
    const issuedAt = now() - 3600;
    await expectRefused(gateway.url, await devToken(A, { issuedAt, expiresInSeconds: 3600 - 61 }), /expired/);
    const inside = await postGraphQL(
      gateway.url,
      '{ me { id } }',
      {},
      await asUser(A, { issuedAt, expiresInSeconds: 3600 - 45 }),
    );
    expect(inside.status).toBe(200);
    expect((inside.body.data?.me as { id: string }).id).toBe(A);
  });

  it('a token not valid yet (nbf) is 401', async () => {
    await expectRefused(gateway.url, await devToken(A, { notBefore: now() + 120 }), /not valid yet/);
  });

  it('another issuer or audience is 401', async () => {
    await expectRefused(gateway.url, await devToken(A, { issuer: 'evil' }), /issuer/);
    await expectRefused(gateway.url, await devToken(A, { audience: 'other-api' }), /audience/);
  });

  it('an unsigned token (alg none) is 401', async () => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: A, iss: DEV_JWT_ISSUER, aud: DEV_JWT_AUDIENCE, exp: now() + 600 })}.`;
    await expectRefused(gateway.url, token, /algorithm/);
  });

  it('an HS256 token signed with the JWKS public key (RS/HS confusion) is 401', async () => {
    for (const secret of [JSON.stringify(publicJwk), await exportSPKI(publicKey)]) {
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
        .setSubject(A)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(jwksFileGateway.url, forged, /algorithm/);
      await expectRefused(jwksUrlGateway.url, forged, /algorithm/);
    }
  });

  it('an RS256 token verifies against a JWKS file and a JWKS served over HTTP', async () => {
    for (const url of [jwksFileGateway.url, jwksUrlGateway.url]) {
      const response = await postGraphQL(url, '{ me { id } }', {}, { authorization: `Bearer ${await rs256()}` });
      expect(response.body.errors).toBeUndefined();
      expect((response.body.data?.me as { id: string }).id).toBe(A);
    }
    // The development token is no good where a JWKS is trusted, and the reverse.
    await expectRefused(jwksFileGateway.url, await devToken(A), /algorithm/);
    await expectRefused(gateway.url, await rs256(), /algorithm/);
  });

  it('a header that is not "Bearer <token>" is 401', async () => {
    const response = await postGraphQL(gateway.url, '{ me { id } }', {}, { authorization: 'Basic YWxpY2U6c2VjcmV0' });
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('forwards the identity signed, the correlation id and the trace to every subgraph call', async () => {
    const before = seen.length;
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await postGraphQL(
      gateway.url,
      '{ me { name orders(first: 2) { edges { node { items { product { name stock { available } } } payment { status } } } } } }',
      {},
      {
        ...(await asUser(A)),
        'x-request-id': 'auth-trace-1',
        traceparent: `00-${trace}-00f067aa0ba902b7-01`,
        // A client cannot smuggle an identity header through the gateway.
        [IDENTITY_HEADERS.userId]: B,
      },
    );
    expect(response.body.errors).toBeUndefined();
    const calls = seen.slice(before);
    expect(new Set(calls.map((c) => c.subgraph))).toEqual(
      new Set(['users', 'orders', 'products', 'inventory', 'payments']),
    );
    for (const { headers } of calls) {
      expect(headers['x-request-id']).toBe('auth-trace-1');
      expect(headers.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
      expect(headers.traceparent).not.toContain('00f067aa0ba902b7');
      expect(headers[IDENTITY_HEADERS.userId]).toBe(A);
      expect(headers[IDENTITY_HEADERS.client]).toBe('web');
      expect(headers[IDENTITY_HEADERS.signature]).toMatch(/^v1=/);
    }
    // Without a traceparent from the client the gateway starts a trace, one per request.
    const next = seen.length;
    await postGraphQL(gateway.url, '{ categories { slug } }');
    expect(seen.slice(next).map((c) => c.headers.traceparent)).toEqual([
      expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/),
    ]);
  });
});

describe("one user reading another's data", () => {
  it("B's orders are FORBIDDEN to A, and nothing of them is in data", async () => {
    const response = await postGraphQL(
      gateway.url,
      `{ user(id: "${B}") { name orders(first: 10) { totalCount edges { node { id total { amount } } } } } }`,
      {},
      await asUser(A),
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.body.errors?.[0]?.path).toEqual(['user', 'orders']);
    // `orders` is nullable: B's public name stays, the orders are null.
    expect(response.body.data?.user).toEqual({ name: expect.any(String) as unknown, orders: null });
  });

  it("B's order and payment by id are FORBIDDEN to A", async () => {
    const order = bOrders.find((o) => o.payment);
    const response = await postGraphQL(
      gateway.url,
      'query($order: ID!, $payment: ID!) { order(id: $order) { id total { amount } payment { id } } payment(id: $payment) { id status amount { amount } } }',
      { order: order?.id, payment: order?.payment?.id },
      await asUser(A),
    );
    expect(errorCodes(response).sort()).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(response.body.data).toEqual({ order: null, payment: null });
  });

  it("B's recommendations, favourite category and spending (derived from purchases) are FORBIDDEN to A", async () => {
    const response = await postGraphQL(
      gateway.url,
      `{ user(id: "${B}") { name recommendations(first: 3) { id } favouriteCategory { name } spending { orderCount } } }`,
      {},
      await asUser(A),
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(response.body.data?.user).toEqual({
      name: expect.any(String) as unknown,
      recommendations: null,
      favouriteCategory: null,
      spending: null,
    });
  });

  it("B's email and address are FORBIDDEN to A; B's name stays public", async () => {
    const response = await postGraphQL(
      gateway.url,
      `{ user(id: "${B}") { name email address { city } } }`,
      {},
      await asUser(A),
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    const user = response.body.data?.user as { name: string; email: unknown; address: unknown };
    expect(user.name).toEqual(expect.any(String));
    expect(user.email).toBeNull();
    expect(user.address).toBeNull();
    expect(JSON.stringify(response.body)).not.toContain(bEmail);
  });

  it("a list of users shows each caller's own email only", async () => {
    const response = await postGraphQL(
      gateway.url,
      '{ users(first: 100) { edges { node { id email } } } }',
      {},
      await asUser(A),
    );
    const nodes = (
      response.body.data?.users as { edges: Array<{ node: { id: string; email: string | null } }> }
    ).edges.map((e) => e.node);
    expect(nodes).toHaveLength(50);
    expect(nodes.filter((n) => n.email !== null).map((n) => n.id)).toEqual([A]);
    expect(errorCodes(response).filter((c) => c === 'FORBIDDEN')).toHaveLength(49);
  });

  it("B's payment through Order.payment is FORBIDDEN, even with a valid signature for A straight at the subgraph", async () => {
    const order = bOrders.find((o) => o.payment);
    const query =
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payment { id status } } } }';
    const asA = await postToSubgraph(
      fleet.urls.payments,
      query,
      { r: [{ __typename: 'Order', id: order?.id }] },
      gatewaySigned({ userId: A, client: 'web' }),
    );
    expect(asA.status).toBe(200);
    expect(errorCodes(asA)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(asA.body.data)).not.toContain(order?.payment?.id);

    const anonymous = await postToSubgraph(
      fleet.urls.payments,
      query,
      { r: [{ __typename: 'Order', id: order?.id }] },
      gatewaySigned({ userId: null, client: 'web' }),
    );
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const asB = await postToSubgraph(
      fleet.urls.payments,
      query,
      { r: [{ __typename: 'Order', id: order?.id }] },
      gatewaySigned({ userId: B, client: 'web' }),
    );
    expect(asB.body.errors).toBeUndefined();
    expect(asB.body.data?._entities).toEqual([
      { id: order?.id, payment: { id: order?.payment?.id, status: expect.any(String) as unknown } },
    ]);
  });

  it("B's order as an entity is FORBIDDEN to A at the orders subgraph", async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total { amount } } } }';
    const response = await postToSubgraph(
      fleet.urls.orders,
      query,
      { r: [{ __typename: 'Order', id: bOrders[0]?.id }] },
      gatewaySigned({ userId: A, client: 'web' }),
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.body.data?._entities).toEqual([null]);
  });

  it('A still reads all of their own', async () => {
    const response = await postGraphQL(
      gateway.url,
      '{ me { email address { city } orders(first: 20) { totalCount edges { node { payment { status } } } } } }',
      {},
      await asUser(A),
    );
    expect(response.body.errors).toBeUndefined();
    const me = response.body.data?.me as { email: string; orders: { totalCount: number; edges: unknown[] } };
    expect(me.email).toContain('@');
    // A dozen orders of imported history and the one placed through checkout.
    expect(me.orders.totalCount).toBe(13);
  });
});

describe('calling a subgraph directly', () => {
  const meQuery = '{ me { id } }';

  it.each([
    ['no signature', () => ({})],
    ['the old unsigned x-user-id header', () => ({ 'x-user-id': A })],
    [
      'a signature made with another secret',
      () =>
        gatewaySigned(
          { userId: A, client: 'web' },
          { signing: { secret: new TextEncoder().encode('n'.repeat(32)), maxAgeSeconds: 60 } },
        ),
    ],
    ['a timestamp past the window', () => gatewaySigned({ userId: A, client: 'web' }, { now: Date.now() - 61_000 })],
    [
      'a signature for another user id',
      () => ({ ...gatewaySigned({ userId: B, client: 'web' }), [IDENTITY_HEADERS.userId]: A }),
    ],
    [
      'an anonymous signature with a user id added',
      () => ({ ...gatewaySigned({ userId: null, client: 'web' }), [IDENTITY_HEADERS.userId]: A }),
    ],
  ])('%s is 401 UNAUTHENTICATED', async (_what, headers) => {
    const response = await postToSubgraph(fleet.urls.users, meQuery, {}, headers());
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toBeUndefined();
  });

  it('every subgraph refuses an unsigned request, even an anonymous one, over POST and GET', async () => {
    for (const name of SUBGRAPH_NAMES) {
      const post = await postToSubgraph(fleet.urls[name], '{ __typename }', {}, {});
      expect([name, post.status, errorCodes(post)]).toEqual([name, 401, ['UNAUTHENTICATED']]);
      const get = await fetch(`${fleet.urls[name]}?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect([name, get.status]).toEqual([name, 401]);
    }
  });

  it('a correct, fresh signature is 200 and acts for its user', async () => {
    const response = await postToSubgraph(
      fleet.urls.users,
      meQuery,
      {},
      gatewaySigned({ userId: A, client: 'mobile' }),
    );
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ me: { id: A } });
    const anonymous = await postToSubgraph(
      fleet.urls.products,
      '{ __typename }',
      {},
      gatewaySigned({ userId: null, client: 'service' }),
    );
    expect(anonymous.status).toBe(200);
  });

  it('/health and /ready stay open', async () => {
    for (const name of SUBGRAPH_NAMES) {
      const origin = new URL(fleet.urls[name]).origin;
      expect((await fetch(`${origin}/health`)).status).toBe(200);
      expect((await fetch(`${origin}/ready`)).status).toBe(200);
    }
  });
});

describe('production without secrets', () => {
  it('a gateway refuses to start, naming every missing variable', () => {
    expect(() => gatewayConfigFromEnv(webProfile, { NODE_ENV: 'production' })).toThrow(AuthConfigError);
    expect(() => gatewayConfigFromEnv(webProfile, { NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET \| JWT_JWKS_FILE \| JWT_JWKS_URL.*JWT_ISSUER.*JWT_AUDIENCE.*GATEWAY_SIGNING_SECRET/,
    );
  });

  it('a subgraph refuses to start before it touches a database', async () => {
    const prefix = uniquePrefix('authprod');
    const env = { ...databaseEnv(prefix), NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: '' };
    await expect(SUBGRAPH_SERVICES.users.start({ env, port: 0, logger: silentLogger() })).rejects.toThrow(
      /GATEWAY_SIGNING_SECRET: is required in production/,
    );
    expect(await listDatabases(TEST_SERVER_URL, prefix)).toEqual([]);
  });
});

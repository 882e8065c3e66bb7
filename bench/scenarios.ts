// What the bench asks every gateway: the same operations, the same users, on the same subgraphs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { devToken } from '../lib/auth/index.ts';
import { isPersistedOnly, operationsDir } from '../lib/gateway/index.ts';
import { DEMO_USER_ID, stableUuid } from '../lib/seed/index.ts';
import type { GatewayName } from '../lib/services.ts';
import { mobileProfile } from '../gateway-mobile/src/profile.ts';

/** One request: its body and headers. */
export interface BenchRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * `ours-pipeline`: ours as `ours`, with every request through Apollo's pipeline (the lean path for
 * known queries off), run only when asked for by name, to measure that path against it;
 * `ours-entities-pipeline` and `ours-cached-pipeline` are the same for `ours-entities` and
 * `ours-cached` (`pipelineVariantOf` names the target each stands beside).
 * `ours-entities`: ours with the entity cache alone (CACHE_RESPONSES=false): every request runs its
 * plan, entities repeated across requests and users come from Redis; the cold dashboard's own row.
 * `ours-open`: ours with caches off, no rate limits and no bearer token (so no token check), beside
 * `ours` (rate limits on, a token per request) to measure what rate limits and auth cost.
 */
export type TargetKind =
  | 'stock'
  | 'hive'
  | 'ours'
  | 'ours-open'
  | 'ours-pipeline'
  | 'ours-entities'
  | 'ours-entities-pipeline'
  | 'ours-cached'
  | 'ours-cached-pipeline'
  | 'ceiling';

const PIPELINE_VARIANTS: Partial<Record<TargetKind, TargetKind>> = {
  'ours-pipeline': 'ours',
  'ours-entities-pipeline': 'ours-entities',
  'ours-cached-pipeline': 'ours-cached',
};

/** The target a pipeline variant stands beside (it gets that target's requests and runs where it runs); null for others. */
export function pipelineVariantOf(kind: TargetKind): TargetKind | null {
  return PIPELINE_VARIANTS[kind] ?? null;
}

/** The kind whose requests a target gets: its own, or for a pipeline variant its base's. */
export const askedAs = (kind: TargetKind): TargetKind => pipelineVariantOf(kind) ?? kind;

export interface Scenario {
  name: string;
  /** Which gateway family serves it (web or mobile supergraph and BFF). */
  profile: GatewayName;
  /** The request a target gets; `n` counts up per request (rotating users, variables). */
  request(target: TargetKind, n: number): BenchRequest;
  /** The request whose answer every target must give exactly as stock does. */
  reference(target: TargetKind): BenchRequest;
  /** What a cache-enabled run of ours is: every request a hit of one entry, or a mix (rotating users). */
  cachedRun: 'hits' | 'mixed';
  /** Only these targets run it (stock always does: its answer is the reference); absent: every target but `ours-open`. */
  targets?: TargetKind[];
}

const operation = (client: GatewayName, name: string) =>
  readFileSync(join(operationsDir(client), `${name}.graphql`), 'utf8');

/**
 * About 100 KB across four subgraphs (products, reviews, users, inventory): 22 products, each with
 * stock and 5 reviews, each review's author with 3 reviews of their own and those reviews' products
 * (depth 12, web's limit). Apollo's planner fetches the same users and products many times over.
 */
export const DEEP_QUERY = `query Deep($filter: ProductFilter) {
  products(first: 22, filter: $filter) {
    totalCount
    edges { node {
      id name description imageUrl
      price { amount currency }
      stock { available inStock }
      reviews(first: 5) { edges { node {
        id rating title body verifiedPurchase
        author {
          id name avatarUrl
          reviews(first: 3) { edges { node { id rating title product { id name imageUrl } } } }
        }
      } } }
    } }
  }
}`;

const USERS_IN_ROTATION = 50;

/**
 * A filter every product passes (no price reaches 10,000; the subgraph takes up to 1,000,000), different per request: the same
 * answer and the same work for every target, but no two requests in a row alike, so a cold run
 * measures computing answers, not sharing one in flight or reading it from a cache.
 */
const everyProduct = (n: number) => ({ maxPrice: 10_000 + (n % 100_000) / 100 });
/** Bench scenarios; checkout throughput (orders/payments) is another harness's hook to add here. */
export async function scenarios(): Promise<Scenario[]> {
  const tokens = await Promise.all(
    Array.from({ length: USERS_IN_ROTATION }, async (_, i) => ({
      authorization: `Bearer ${await devToken(stableUuid('user', i))}`,
    })),
  );
  const demo = { authorization: `Bearer ${await devToken(DEMO_USER_ID)}` };
  const json = { 'content-type': 'application/json' };

  const catalogSource = operation('web', 'Catalog');
  const catalog: BenchRequest = {
    body: JSON.stringify({ query: catalogSource, variables: { first: 20 } }),
    headers: json,
  };
  // Fresh header objects every time: autocannon writes content-length into the ones it is given.
  const catalogDistinct = (n: number, token: Record<string, string> = {}): BenchRequest => ({
    body: JSON.stringify({ query: catalogSource, variables: { first: 20, filter: everyProduct(n) } }),
    headers: { ...json, ...token },
  });
  const deep: BenchRequest = { body: JSON.stringify({ query: DEEP_QUERY }), headers: json };
  const deepDistinct = (n: number): BenchRequest => ({
    body: JSON.stringify({ query: DEEP_QUERY, variables: { filter: everyProduct(n) } }),
    headers: { ...json },
  });
  // A cache-hit run repeats one request; every other run sends distinct ones.
  const distinctUnlessHits =
    (fixed: BenchRequest, distinct: (n: number) => BenchRequest) => (t: TargetKind, n: number) =>
      t === 'ours-cached' ? fixed : distinct(n);

  const dashboardSource = operation('web', 'Dashboard');
  // Rotating users and page sizes: 50 users x 11 page sizes, so responses rarely repeat within a run.
  const webDashboard = (n: number): BenchRequest => ({
    body: JSON.stringify({
      query: dashboardSource,
      variables: { ordersFirst: 5 + (Math.floor(n / USERS_IN_ROTATION) % 11) },
    }),
    headers: { ...json, ...tokens[n % USERS_IN_ROTATION] },
  });

  const manifest = isPersistedOnly(mobileProfile.operations) ? mobileProfile.operations.manifest : null;
  const mobileId = manifest?.operations.find((o) => o.name === 'Dashboard')?.id;
  if (!mobileId) throw new Error('the mobile manifest has no Dashboard operation');
  const mobileBody = (target: TargetKind) =>
    // Ours runs registered operations only and gets the id; peers have no manifest and get the text.
    target === 'ours' || target === 'ours-cached'
      ? JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: mobileId } } })
      : JSON.stringify({ query: operation('mobile', 'Dashboard') });

  return [
    {
      name: 'catalog page',
      profile: 'web',
      request: distinctUnlessHits(catalog, catalogDistinct),
      reference: () => catalogDistinct(0),
      cachedRun: 'hits',
    },
    {
      // The one scenario of identical requests at once: what in-flight sharing saves, counted as such.
      name: 'catalog page, one query repeated (shared in flight)',
      profile: 'web',
      request: () => catalog,
      reference: () => catalog,
      cachedRun: 'hits',
      targets: ['ours'],
    },
    {
      // Rate limits (a Redis script per request) and auth (a bearer token verified, its user signed
      // onto every subgraph call) against neither, on the same public page, distinct requests.
      name: 'catalog page, rate limits + auth vs none',
      profile: 'web',
      request: (t, n) => (t === 'ours-open' ? catalogDistinct(n) : catalogDistinct(n, tokens[n % USERS_IN_ROTATION])),
      reference: () => catalogDistinct(0),
      cachedRun: 'hits',
      targets: ['ours', 'ours-open'],
    },
    {
      name: 'web dashboard, rotating users',
      profile: 'web',
      request: (_t, n) => webDashboard(n),
      reference: () => ({
        body: JSON.stringify({ query: dashboardSource, variables: { ordersFirst: 10 } }),
        headers: { ...json, ...demo },
      }),
      cachedRun: 'mixed',
      // Beside caches off and on: the entity cache alone, every request a response-cache miss.
      targets: ['hive', 'ours', 'ours-entities', 'ours-cached', 'ceiling'],
    },
    {
      // One signed-in user's dashboard again and again: with caches on, every request a private hit.
      name: 'web dashboard, one user',
      profile: 'web',
      request: () => ({
        body: JSON.stringify({ query: dashboardSource, variables: { ordersFirst: 10 } }),
        headers: { ...json, ...demo },
      }),
      reference: () => ({
        body: JSON.stringify({ query: dashboardSource, variables: { ordersFirst: 10 } }),
        headers: { ...json, ...demo },
      }),
      cachedRun: 'hits',
      targets: ['ours-cached', 'ceiling'],
    },
    {
      name: 'deep nested query',
      profile: 'web',
      request: distinctUnlessHits(deep, deepDistinct),
      reference: () => deepDistinct(0),
      cachedRun: 'hits',
    },
    {
      name: 'mobile dashboard',
      profile: 'mobile',
      request: (t, n) => ({ body: mobileBody(t), headers: { ...json, ...tokens[n % USERS_IN_ROTATION] } }),
      reference: (t) => ({ body: mobileBody(t), headers: { ...json, ...demo } }),
      cachedRun: 'mixed',
    },
  ];
}

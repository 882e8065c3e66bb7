// An internal failure (here: a subgraph whose table has gone) reaches the client as a generic
// INTERNAL_SERVER_ERROR on that field alone: no SQL, stack, Prisma message or internal host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../lib/http/index.ts';
import { uniquePrefix } from './support/databases.ts';
import { errorCodes, postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

let fleet: SubgraphFleet;
let development: RunningServer;
let production: RunningServer;

beforeAll(async () => {
  fleet = await startSubgraphs(uniquePrefix('errors'));
  development = await startTestGateway(fleet.urls);
  production = await startTestGateway(fleet.urls, { production: true });
  await fleet.servers.reviews.prisma.$queryRawUnsafe('ALTER TABLE "Review" RENAME TO "ReviewGone"');
});

afterAll(async () => {
  await development?.close();
  await production?.close();
  await fleet?.close();
});

describe('internal errors', () => {
  it.each(['development', 'production'])('are masked in %s, and cost only their own fields', async (mode) => {
    const gateway = mode === 'production' ? production : development;
    const response = await postGraphQL(gateway.url, '{ products(first: 2) { edges { node { name averageRating } } } }');
    expect(response.status).toBe(200);
    const names = (
      response.body.data?.products as { edges: Array<{ node: { name: string; averageRating: unknown } }> }
    ).edges.map((e) => e.node.name);
    expect(names).toHaveLength(2);
    expect(new Set(errorCodes(response))).toEqual(new Set(['INTERNAL_SERVER_ERROR']));
    const text = JSON.stringify(response.body);
    expect(text).not.toMatch(
      /ReviewGone|Review"|SELECT|prisma|postgres|stacktrace|\bat \w+ \(|127\.0\.0\.1|localhost|node_modules/i,
    );
  });
});

// The committed supergraph is what composing the six subgraph SDLs produces now, and composition
// errors are caught (proved with a deliberately conflicting subgraph).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  compose,
  domainSubgraphSources,
  gatewaySubgraphSources,
  gatewaySupergraphPath,
  SUPERGRAPH_PATH,
} from '../lib/composition.ts';
import { buildManifest, MOBILE_MANIFEST_PATH, MOBILE_OPERATIONS_DIR } from '../lib/gateway/index.ts';

describe('supergraph composition', () => {
  it('composes the six subgraphs without errors', async () => {
    const outcome = compose(await domainSubgraphSources());
    expect(outcome.ok ? [] : outcome.errors).toEqual([]);
  });

  it('matches the committed schema/supergraph.graphql (run `npm run compose` after changing an SDL)', async () => {
    const outcome = compose(await domainSubgraphSources());
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    expect(await readFile(SUPERGRAPH_PATH, 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('reports a field two subgraphs define incompatibly', async () => {
    const sources = await domainSubgraphSources();
    const conflicting = {
      name: 'conflicting',
      url: 'http://127.0.0.1:1/graphql',
      sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])
        type Product @key(fields: "id") { id: ID! name: Int! @shareable }`,
    };
    const outcome = compose([...sources, conflicting]);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.errors.join('\n')).toMatch(/Product\.name/);
  });

  it('carries the cost directives into the supergraph for demand control', async () => {
    const supergraph = await readFile(SUPERGRAPH_PATH, 'utf8');
    expect(supergraph).toContain('https://specs.apollo.dev/cost/v0.1');
    expect(supergraph).toMatch(
      /orders\(first: Int = 10, after: String\): OrderConnection .*@listSize\(slicingArguments: \["first"\]/,
    );
  });
});

describe('gateway supergraphs and the mobile manifest', () => {
  it.each(['web', 'mobile'] as const)(
    'schema/supergraph-%s.graphql is what composing the domain subgraphs with its BFF produces now',
    async (gateway) => {
      const outcome = compose(await gatewaySubgraphSources(gateway));
      if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
      expect(await readFile(gatewaySupergraphPath(gateway), 'utf8')).toBe(outcome.supergraphSdl);
    },
  );

  it('gateway-mobile/persisted-query-manifest.json is what the operations compile to now', async () => {
    const committed: unknown = JSON.parse(await readFile(MOBILE_MANIFEST_PATH, 'utf8'));
    expect(committed).toEqual(await buildManifest(MOBILE_OPERATIONS_DIR));
  });
});

import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bffSchemaPath, gatewaySupergraphPath } from '../composition.ts';
import { hintFromCacheControl, staticCachePolicy } from './policy.ts';
import { analyseFetch } from './fetchAnalysis.ts';
import { supergraphModel } from './supergraphModel.ts';
import { collectTags } from './tags.ts';

const model = supergraphModel(readFileSync(gatewaySupergraphPath('web'), 'utf8'));

describe('analyseFetch', () => {
  it('asks every entity object for its identity, under aliases the plan cannot clash with', () => {
    const analysis = analyseFetch(
      model,
      'users',
      'mutation Save($input: UpdateProfileInput!) { updateProfile(input: $input) { id: name } }',
    );
    expect(analysis.kind).toBe('mutation');
    expect(analysis.entities).toBeNull();
    expect(analysis.query).toContain('bffTag__typename: __typename');
    expect(analysis.query).toContain('bffTag__id: id');
    const tags = new Set<string>();
    collectTags({ updateProfile: { id: 'Ada', bffTag__typename: 'User', bffTag__id: 'u1' } }, tags);
    expect([...tags]).toEqual(['User:u1']);
  });

  it('leaves value types alone and tags nested entities', () => {
    const analysis = analyseFetch(
      model,
      'products',
      '{ products(first: 2) { edges { node { name price { amount } category { name } } } } }',
    );
    const printed = analysis.query.replace(/\s+/g, ' ');
    expect(printed).toMatch(
      /node \{ name price \{ amount \} category \{ name bffTag__typename: __typename bffTag__id: id \} bffTag__typename: __typename bffTag__id: id \}/,
    );
  });

  it('gives an _entities fetch one shape whatever the client operation is called, and says whether it may be served stale', () => {
    const ratings = (name: string) =>
      `query ${name}__reviews__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { averageRating reviewCount } } }`;
    const a = analyseFetch(model, 'reviews', ratings('Catalog'));
    const b = analyseFetch(model, 'reviews', ratings('Other'));
    expect(a.entities).toEqual({ selection: b.entities?.selection, staleAllowed: true });
    const stock = analyseFetch(
      model,
      'inventory',
      'query Q($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { stock { available } } } }',
    );
    expect(stock.entities?.staleAllowed).toBe(false);
    expect(stock.entities?.selection).not.toBe(a.entities?.selection);
  });

  it('refuses @staleIfError on a type several subgraphs define', () => {
    const sdl = readFileSync(gatewaySupergraphPath('web'), 'utf8').replace(
      'type Product\n',
      'type Product @staleIfError\n',
    );
    expect(() => supergraphModel(sdl)).toThrow(/staleIfError on type Product/);
  });
});

describe('cache policies', () => {
  it('reads a subgraph cache-control header as Apollo Gateway does', () => {
    expect(hintFromCacheControl('max-age=60, public')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(hintFromCacheControl('max-age=10, private')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(hintFromCacheControl('no-store')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(hintFromCacheControl(null)).toEqual({ maxAge: 0, scope: 'PUBLIC' });
  });

  it("computes the BFF's policy from its hints: a dashboard is private, the rate limit never cacheable", () => {
    const schema = buildSubgraphSchema({ typeDefs: parse(readFileSync(bffSchemaPath('web'), 'utf8')) });
    expect(staticCachePolicy(schema, parse('{ dashboard { generatedAt user { __typename id } } }'))).toEqual({
      maxAge: 30,
      scope: 'PRIVATE',
    });
    expect(staticCachePolicy(schema, parse('{ rateLimit { remaining } }'))).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(
      staticCachePolicy(
        schema,
        parse(
          'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { statusLabel } } }',
        ),
      ),
    ).toEqual({ maxAge: 3600, scope: 'PUBLIC' });
  });
});

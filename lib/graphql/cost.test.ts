import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_PATH } from '../composition.ts';
import { costModelFromSupergraph, operationCost } from './cost.ts';

const model = costModelFromSupergraph(readFileSync(SUPERGRAPH_PATH, 'utf8'));
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  operationCost(model, parse(query), undefined, variables);

describe('operationCost (IBM cost spec over @listSize)', () => {
  it('counts objects 1 and scalars 0', () => {
    expect(cost('{ product(id: "x") { id name price { amount } } }')).toBe(2);
  });

  it('multiplies a connection’s edges by its slicing argument, from a literal, a variable or the default', () => {
    // products (1) + 5 edges x (edge 1 + node 1 + price 1)
    expect(cost('{ products(first: 5) { edges { node { name price { amount } } } } }')).toBe(1 + 5 * 3);
    expect(cost('query($n: Int) { products(first: $n) { edges { node { name } } } }', { n: 50 })).toBe(1 + 50 * 2);
    expect(cost('{ products { edges { node { name } } } }')).toBe(1 + 20 * 2);
    // An operation's own variable default counts when the request leaves the variable out.
    expect(cost('query($n: Int = 30) { products(first: $n) { edges { node { name } } } }')).toBe(1 + 30 * 2);
    expect(cost('query($n: Int = 30) { products(first: $n) { edges { node { name } } } }', { n: 5 })).toBe(1 + 5 * 2);
  });

  it('multiplies nested lists', () => {
    // users: 1 + 10 x (edge 1 + node 1 + orders 1 + 3 x (edge 1 + node 1 + items: assumed 5 x (item 1 + product 1)))
    const query =
      '{ users(first: 10) { edges { node { orders(first: 3) { edges { node { items { product { name } } } } } } } } }';
    expect(cost(query)).toBe(1 + 10 * (1 + 1 + 1 + 3 * (1 + 1 + 5 * (1 + 1))));
  });

  it('counts every alias, so aliases cannot dodge the limit', () => {
    const one = cost('{ a: products(first: 10) { edges { node { name } } } }');
    expect(
      cost('{ a: products(first: 10) { edges { node { name } } } b: products(first: 10) { edges { node { name } } } }'),
    ).toBe(2 * one);
  });

  it('expands fragments and ignores introspection', () => {
    expect(
      cost(
        '{ ...Q __typename } fragment Q on Query { product(id: "x") { ...P } } fragment P on Product { category { name } }',
      ),
    ).toBe(2);
  });
});

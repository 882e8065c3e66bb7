// RequestAnalyses remembers an operation's analysis per parsed document, operation and the values of
// the variables the analysis reads: a remembered analysis equals a fresh one, variables it does not
// read (a filter) never cause a new walk, the ones it reads (page sizes) always do, and what it keeps
// per operation is bounded.
import { readFileSync } from 'node:fs';
import type { GraphQLRequest } from '@apollo/server';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewaySupergraphPath } from '../composition.ts';
import { analyzeOperation } from '../graphql/analysis.ts';
import { costModelFromSupergraph } from '../graphql/cost.ts';
import { MAX_PAGE_SIZE } from '../graphql/pagination.ts';
import { ANALYSES_PER_OPERATION, RequestAnalyses } from './limits.ts';

const model = costModelFromSupergraph(readFileSync(gatewaySupergraphPath('web'), 'utf8'));
const limits = { maxDepth: 12, maxAliases: 15, maxDirectives: 20, maxTokens: 5000, maxCost: 5000 };

const source = `query Catalog($first: Int = 20, $filter: ProductFilter) {
  products(first: $first, filter: $filter) { totalCount edges { node { id name reviews(first: 3) { edges { node { id } } } } } }
}`;
const document = parse(source);

/** A RequestAnalyses whose analysis counts its walks. */
function counted() {
  let walks = 0;
  const analyses = new RequestAnalyses(model, limits, (...args: Parameters<typeof analyzeOperation>) => {
    walks += 1;
    return analyzeOperation(...args);
  });
  const of = (variables: Record<string, unknown>, doc = document) =>
    analyses.of({ document: doc, request: { query: 'q', operationName: 'Catalog', variables } });
  return { analyses, of, walks: () => walks };
}

describe('RequestAnalyses across requests', () => {
  it('gives what a fresh analysis gives, walking once per page size and never per filter', () => {
    const { of, walks } = counted();
    const fresh = (variables: Record<string, unknown>) =>
      analyzeOperation(model, document, 'Catalog', variables, { maxListSize: MAX_PAGE_SIZE });
    const a = of({ first: 10, filter: { maxPrice: 1 } });
    const b = of({ first: 10, filter: { maxPrice: 2 } });
    expect(b).toBe(a);
    expect(a).toEqual(fresh({ first: 10, filter: { maxPrice: 1 } }));
    expect(walks()).toBe(1);
    const c = of({ first: 40 });
    expect(walks()).toBe(2);
    expect(c).toEqual(fresh({ first: 40 }));
    expect(c.cost).toBeGreaterThan(a.cost);
    expect(a.variablesRead).toEqual(['first']);
  });

  it('tells a missing page size (the default applies) from a null one, and a bad one is still refused', () => {
    const { of, analyses, walks } = counted();
    const missing = of({});
    const nulled = of({ first: null });
    expect(walks()).toBe(2);
    expect(missing).toEqual(analyzeOperation(model, document, 'Catalog', {}, { maxListSize: MAX_PAGE_SIZE }));
    expect(nulled).toEqual(
      analyzeOperation(model, document, 'Catalog', { first: null }, { maxListSize: MAX_PAGE_SIZE }),
    );
    const request = { query: 'q', operationName: 'Catalog', variables: { first: 500 } } as GraphQLRequest;
    expect(analyses.refusal({ document, request })?.extensions.code).toBe('BAD_USER_INPUT');
    const again = { query: 'q', operationName: 'Catalog', variables: { first: 500 } } as GraphQLRequest;
    expect(analyses.refusal({ document, request: again })?.extensions.code).toBe('BAD_USER_INPUT');
    expect(walks()).toBe(3);
  });

  it('keeps at most ANALYSES_PER_OPERATION page sizes per operation, dropping the oldest', () => {
    const { of, walks } = counted();
    for (let first = 1; first <= ANALYSES_PER_OPERATION + 1; first += 1) of({ first });
    expect(walks()).toBe(ANALYSES_PER_OPERATION + 1);
    of({ first: ANALYSES_PER_OPERATION + 1 });
    expect(walks()).toBe(ANALYSES_PER_OPERATION + 1);
    of({ first: 1 });
    expect(walks()).toBe(ANALYSES_PER_OPERATION + 2);
  });

  it('remembers per document object: the same text parsed again is walked again', () => {
    const { of, walks } = counted();
    of({ first: 5 });
    of({ first: 5 }, parse(source));
    expect(walks()).toBe(2);
  });
});

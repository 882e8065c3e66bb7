// The operation analysis: exact against a full expansion, linear in the document (counted, not
// timed), never a negative cost, and the slicing arguments it refuses. Random operations come from
// the committed supergraph through fast-check.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewaySupergraphPath } from '../composition.ts';
import { analyzeOperation } from './analysis.ts';
import { costModelFromSupergraph } from './cost.ts';

const model = costModelFromSupergraph(readFileSync(gatewaySupergraphPath('web'), 'utf8'));
const schema = model.schema;

/** Slicing values a client might send, valid or not. */
const firstValue = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(0, -1, -2_000_000, 101, 2_147_483_647));

interface Generated {
  query: string;
  fragments: string[];
}

/**
 * A random selection on `type`, `depth` levels at most: real fields with their slicing argument
 * (any value), aliases (of __typename too), inline fragments, and spreads of named fragments.
 */
function selectionOn(type: GraphQLObjectType, depth: number): fc.Arbitrary<Generated> {
  const fields = Object.values(type.getFields()).filter((f) =>
    f.args.every((a) => a.name === 'first' || a.name === 'after' || a.type.toString().endsWith('!') === false),
  );
  const field = fc.constantFrom(...fields).chain((f) => {
    const named = getNamedType(f.type);
    const hasFirst = f.args.some((a) => a.name === 'first');
    const args = hasFirst ? fc.option(firstValue, { nil: undefined }) : fc.constant(undefined);
    const alias = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined });
    const sub: fc.Arbitrary<Generated | null> =
      isCompositeType(named) && depth > 1
        ? selectionSetOf(named, depth - 1)
        : isCompositeType(named)
          ? fc.constant({ query: '__typename', fragments: [] })
          : fc.constant(null);
    return fc.tuple(args, alias, sub).map(([first, name, inner]) => {
      const argument = first === undefined ? '' : `(first: ${first})`;
      const prefix = name ? `${name}${f.name}: ` : '';
      return {
        query: `${prefix}${f.name}${argument}${inner ? ` { ${inner.query} }` : ''}`,
        fragments: inner?.fragments ?? [],
      };
    });
  });
  const typename = fc.constantFrom('__typename', 't1: __typename', 't2: __typename').map((q) => ({
    query: q,
    fragments: [] as string[],
  }));
  return fc.oneof({ arbitrary: field, weight: 4 }, { arbitrary: typename, weight: 1 });
}

let fragmentCount = 0;

function selectionSetOf(type: GraphQLNamedType, depth: number): fc.Arbitrary<Generated> {
  const object = isObjectType(type)
    ? type
    : isInterfaceType(type)
      ? schema.getImplementations(type).objects[0]
      : undefined;
  if (!object) return fc.constant({ query: '__typename', fragments: [] });
  return fc
    .tuple(fc.array(selectionOn(object, depth), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }))
    .map(([parts, spreads]) => {
      const body = parts.map((p) => p.query).join(' ');
      const fragments = parts.flatMap((p) => p.fragments);
      if (spreads === 0) return { query: body, fragments };
      // The same selection as a named fragment spread `spreads` times, and once inline.
      const name = `F${fragmentCount++}`;
      return {
        query: `${Array(spreads).fill(`...${name}`).join(' ')} ... on ${object.name} { ${body} }`,
        fragments: [...fragments, `fragment ${name} on ${object.name} { ${body} }`],
      };
    });
}

const operation = fc
  .integer({ min: 1, max: 4 })
  .chain((depth) => selectionSetOf(schema.getQueryType()!, depth))
  .map((g) => parse(`{ ${g.query} } ${g.fragments.join(' ')}`));

/** The document with every spread replaced by its fragment's selections (what the old walkers built). */
function expanded(document: DocumentNode): DocumentNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const inline = (doc: DocumentNode): DocumentNode =>
    visit(doc, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value)!;
        return {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: fragment.typeCondition,
          selectionSet: fragment.selectionSet,
        };
      },
    });
  let current = document;
  for (let i = 0; i < 10 && print(current).includes('...F'); i++) current = inline(current);
  return {
    ...current,
    definitions: current.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION),
  };
}

/** Counts every read of a selection set's selections: the analysis's work, deterministically. */
function counted(document: DocumentNode): { document: DocumentNode; reads: () => number; sets: number } {
  let reads = 0;
  let sets = 0;
  const copy = visit(document, {
    SelectionSet: {
      leave(node) {
        sets++;
        const { selections } = node;
        const wrapped = { ...node };
        Object.defineProperty(wrapped, 'selections', {
          get() {
            reads++;
            return selections;
          },
        });
        return wrapped;
      },
    },
  });
  return { document: copy, reads: () => reads, sets };
}

function fanOut(levels: number, width: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1
      ? `fragment F${i} on Query { __typename }`
      : `fragment F${i} on Query { ${Array(width)
          .fill(`...F${i + 1}`)
          .join(' ')} }`,
  );
  return `{ ...F0 } ${fragments.join(' ')}`;
}

describe('analyzeOperation', () => {
  it('gives, fragment by reference, exactly what a full expansion gives (random operations from the schema)', () => {
    fc.assert(
      fc.property(operation, (document) => {
        const byReference = analyzeOperation(model, document, null);
        const full = analyzeOperation(model, expanded(document), null);
        expect(byReference.cost).toBe(full.cost);
        expect(byReference.expandedFields).toBe(full.expandedFields);
        expect(byReference.aliases).toBe(full.aliases);
        expect(byReference.depth).toBe(full.depth);
        expect(byReference.rootFields).toBe(full.rootFields);
        expect(Object.fromEntries(byReference.fields)).toEqual(Object.fromEntries(full.fields));
        expect(byReference.cacheHint).toEqual(full.cacheHint);
        expect(byReference.slicingViolations.length > 0).toBe(full.slicingViolations.length > 0);
      }),
      { numRuns: 200 },
    );
  });

  it('never gives a negative cost, whatever the slicing arguments, literal or variable', () => {
    fc.assert(
      fc.property(operation, fc.integer({ min: -3_000_000, max: 3_000_000 }), (document, n) => {
        expect(analyzeOperation(model, document, null).cost).toBeGreaterThanOrEqual(0);
        const variable = parse('query($n: Int) { products(first: $n) { edges { node { name } } } }');
        const analysis = analyzeOperation(model, variable, null, { n });
        expect(analysis.cost).toBeGreaterThanOrEqual(1 + 2);
        expect(analysis.slicingViolations.length > 0).toBe(n < 1 || n > 100);
      }),
      { numRuns: 200 },
    );
  });

  it('reads each selection set a bounded number of times: work grows with the document, not its expansion', () => {
    fc.assert(
      fc.property(operation, (document) => {
        const { document: watched, reads, sets } = counted(document);
        analyzeOperation(model, watched, null);
        // Each fragment is analysed once per context (a connection's sized fields or not, at the root or not).
        expect(reads()).toBeLessThanOrEqual(4 * sets);
      }),
      { numRuns: 200 },
    );
    for (const [levels, width] of [
      [9, 10],
      [30, 10],
      [200, 2],
    ] as const) {
      const { document, reads, sets } = counted(parse(fanOut(levels, width)));
      const analysis = analyzeOperation(model, document, null);
      expect(reads()).toBeLessThanOrEqual(2 * sets);
      // Counted exactly, never built: width^(levels-1) __typename selections.
      expect(analysis.expandedFields / width ** (levels - 1)).toBeCloseTo(1, 9);
      expect(analysis.cost).toBe(0);
    }
  });

  it('reports a slicing argument outside 1..100 once, by literal, variable or variable default', () => {
    const violations = (query: string, variables: Record<string, unknown> = {}) =>
      analyzeOperation(model, parse(query), null, variables).slicingViolations;
    expect(violations('{ products(first: -2000000) { totalCount } }')).toEqual([
      { coordinate: 'Query.products', argument: 'first', value: -2_000_000 },
    ]);
    expect(violations('query($n: Int) { products(first: $n) { totalCount } }', { n: 0 })).toHaveLength(1);
    expect(violations('query($n: Int = 101) { products(first: $n) { totalCount } }')).toHaveLength(1);
    expect(violations('query($n: Int = 101) { products(first: $n) { totalCount } }', { n: 5 })).toEqual([]);
    expect(violations('{ ...F ...F ...F } fragment F on Query { bestSellers(first: 1000) { name } }')).toHaveLength(1);
    expect(violations('{ products(first: 100) { totalCount } bestSellers { name } }')).toEqual([]);
  });

  it('counts fields used, entity selections and the cache hint in one pass', () => {
    const analysis = analyzeOperation(
      model,
      parse(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { averageRating ...R } } } fragment R on Product { reviewCount }',
      ),
      null,
    );
    expect(Object.fromEntries([...analysis.entitySelections].map(([t, f]) => [t, [...f].sort()]))).toEqual({
      Product: ['averageRating', 'reviewCount'],
    });
    const dashboard = analyzeOperation(
      model,
      parse('{ a: product(id: "x") { name } b: product(id: "y") { name } __typename x: __typename }'),
      null,
    );
    expect(dashboard.fields.get('Query.product')).toBe(2);
    expect(dashboard.aliases).toBe(3);
    expect(dashboard.rootFields).toBe(2);
  });
});

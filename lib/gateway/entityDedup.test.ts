import { describe, expect, it } from 'vitest';
import { dedupeRepresentations } from './entityDedup.ts';

const product = (id: string) => ({ __typename: 'Product', id });

describe('dedupeRepresentations', () => {
  it('sends each representation once and answers every position', () => {
    const request = {
      query: 'q',
      variables: { representations: [product('a'), product('b'), product('a'), product('a')] },
    };
    const deduped = dedupeRepresentations(request);
    expect(deduped?.request.variables.representations).toEqual([product('a'), product('b')]);
    expect([deduped?.asked, deduped?.sent]).toEqual([4, 2]);
    expect(request.variables.representations).toHaveLength(4);
    const response = deduped?.expand({ data: { _entities: [{ name: 'A' }, { name: 'B' }] } });
    expect(response?.data?._entities).toEqual([{ name: 'A' }, { name: 'B' }, { name: 'A' }, { name: 'A' }]);
  });

  it('repeats an entity error at every position that entity held, other errors as they are', () => {
    const deduped = dedupeRepresentations({
      variables: { representations: [product('a'), product('b'), product('a')] },
    });
    const response = deduped?.expand({
      data: { _entities: [null, { name: 'B' }] },
      errors: [
        { message: 'not found', path: ['_entities', 0, 'name'] },
        { message: 'whole fetch', extensions: { code: 'X' } },
      ],
    });
    expect(response?.errors).toEqual([
      { message: 'not found', path: ['_entities', 0, 'name'] },
      { message: 'not found', path: ['_entities', 2, 'name'] },
      { message: 'whole fetch', extensions: { code: 'X' } },
    ]);
    expect(response?.data?._entities).toEqual([null, { name: 'B' }, null]);
  });

  it('leaves fetches without repeats or representations alone', () => {
    expect(dedupeRepresentations({ variables: { representations: [product('a'), product('b')] } })).toBeNull();
    expect(dedupeRepresentations({ variables: { first: 3 } })).toBeNull();
    expect(dedupeRepresentations({})).toBeNull();
  });

  it('keeps a failed fetch (no entities) as the subgraph answered it', () => {
    const deduped = dedupeRepresentations({ variables: { representations: [product('a'), product('a')] } });
    expect(deduped?.expand({ data: null, errors: [{ message: 'down' }] })).toEqual({
      data: null,
      errors: [{ message: 'down' }],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { memoryCacheRuntime } from '../../test/support/cacheRuntime.ts';
import { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import { fetchThroughCache, type FetchRequest, type SentFetch } from './fetchThroughCache.ts';

const RATINGS =
  'query Catalog__reviews__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { averageRating } } }';
const ORDERS =
  'query Dashboard__orders__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { spending { orderCount } } } }';

const runtime = () => memoryCacheRuntime();

type Representation = { __typename: string; id: string };

/** A subgraph that answers each representation with a value derived from its id, and records what it was sent. */
function subgraph(answer: (r: Representation) => Record<string, unknown>, cacheControl = 'max-age=60, public') {
  const sent: Representation[][] = [];
  let mode: 'up' | 'down' = 'up';
  return {
    sent,
    down: () => void (mode = 'down'),
    // eslint-disable-next-line @typescript-eslint/require-await -- stands in for the transport's asynchronous send
    async send(request: FetchRequest): Promise<SentFetch> {
      const representations = request.variables?.representations as Representation[];
      sent.push(representations);
      if (mode === 'down')
        return {
          response: {
            errors: [
              { message: 'The reviews service could not be reached', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } },
            ],
          },
          unavailable: true,
        };
      const entities = representations.map((r) => ({ ...answer(r), bffTag__typename: r.__typename, bffTag__id: r.id }));
      return {
        response: { data: { _entities: entities }, http: { headers: new Headers({ 'cache-control': cacheControl }) } },
        unavailable: false,
      };
    },
  };
}

async function fetchEntities(
  cache: CacheRuntime,
  query: string,
  ids: string[],
  send: (r: FetchRequest) => Promise<SentFetch>,
  userId: string | null = null,
) {
  const state = new RequestCacheState();
  const representations = ids.map((id) => ({ __typename: query === ORDERS ? 'User' : 'Product', id }));
  const response = await fetchThroughCache(cache, {
    subgraph: query === ORDERS ? 'orders' : 'reviews',
    request: { query, variables: { representations } },
    incomingOperation: 'query',
    userId,
    state,
    policy: null,
    send,
  });
  // What a request does when its response is sent: write what it learned in one batch.
  await cache.write(state.entityWrites, { response: 0, entity: state.entityWrites.length });
  return { response, state };
}

describe('the entity cache', () => {
  it('sends each distinct representation once, and only the ones it does not hold', async () => {
    const cache = runtime();
    const reviews = subgraph((r) => ({ averageRating: r.id.length }));
    const first = await fetchEntities(cache, RATINGS, ['p1', 'p22', 'p1', 'p1'], (r) => reviews.send(r));
    expect(reviews.sent).toEqual([
      [
        { __typename: 'Product', id: 'p1' },
        { __typename: 'Product', id: 'p22' },
      ],
    ]);
    expect(first.response.data?._entities).toEqual(
      [2, 3, 2, 2].map((n, i) => ({
        averageRating: n,
        bffTag__typename: 'Product',
        bffTag__id: ['p1', 'p22', 'p1', 'p1'][i],
      })),
    );
    expect(cache.stats.entity).toMatchObject({ deduplicated: 2, misses: 2, hits: 0, writes: 2 });

    const second = await fetchEntities(cache, RATINGS, ['p22', 'p333'], (r) => reviews.send(r));
    expect(reviews.sent[1]).toEqual([{ __typename: 'Product', id: 'p333' }]);
    expect(second.response.data?._entities).toEqual([
      { averageRating: 3, bffTag__typename: 'Product', bffTag__id: 'p22' },
      { averageRating: 4, bffTag__typename: 'Product', bffTag__id: 'p333' },
    ]);
    expect(second.state.status()).toBe('partial');
    expect([...second.state.tags].sort()).toEqual(['Product:p22', 'Product:p333']);

    const third = await fetchEntities(cache, RATINGS, ['p1', 'p333'], (r) => reviews.send(r));
    expect(reviews.sent).toHaveLength(2);
    expect(third.state.status()).toBe('hit');
    // One lookup per fetch, whatever its size.
    expect(cache.store.roundTrips).toBe(3 /* lookups */ + 2 /* write batches */);
  });

  it('shares an entity between parallel fetches of one request: the second waits for the first', async () => {
    const cache = runtime();
    const reviews = subgraph((r) => ({ averageRating: r.id.length }));
    const state = new RequestCacheState();
    const fetchOf = (ids: string[]) =>
      fetchThroughCache(cache, {
        subgraph: 'reviews',
        request: { query: RATINGS, variables: { representations: ids.map((id) => ({ __typename: 'Product', id })) } },
        incomingOperation: 'query',
        userId: null,
        state,
        policy: null,
        send: (r) => reviews.send(r),
      });
    const [x, y] = await Promise.all([fetchOf(['p1', 'p22']), fetchOf(['p22', 'p4444'])]);
    expect(
      reviews.sent
        .flat()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['p1', 'p22', 'p4444']);
    expect(x.data?._entities).toEqual([
      { averageRating: 2, bffTag__typename: 'Product', bffTag__id: 'p1' },
      { averageRating: 3, bffTag__typename: 'Product', bffTag__id: 'p22' },
    ]);
    expect(y.data?._entities).toEqual([
      { averageRating: 3, bffTag__typename: 'Product', bffTag__id: 'p22' },
      { averageRating: 5, bffTag__typename: 'Product', bffTag__id: 'p4444' },
    ]);
    expect(cache.stats.entity.deduplicated).toBe(1);
  });

  it("keeps a private entity to its user: another user's fetch goes to the subgraph", async () => {
    const cache = runtime();
    const orders = subgraph((r) => ({ spending: { orderCount: r.id === 'ada' ? 7 : 1 } }), 'max-age=10, private');
    await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), 'ada');
    const again = await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), 'ada');
    expect(again.state.status()).toBe('hit');
    expect(orders.sent).toHaveLength(1);
    const other = await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), 'bob');
    expect(other.state.status()).toBe('miss');
    expect(orders.sent).toHaveLength(2);
    // And never kept for an anonymous caller, who has no key of their own.
    await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), null);
    expect((await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), null)).state.status()).toBe('miss');
  });

  it('reads only the variants a selection has been answered in, and both again once a new scope appears', async () => {
    const cache = runtime();
    const looked: string[][] = [];
    const mget = cache.store.mget.bind(cache.store);
    cache.store.mget = (keys) => {
      looked.push([...keys]);
      return mget(keys);
    };
    const variants = () =>
      (looked.at(-1) ?? []).map((k) => k.slice(k.lastIndexOf('}:v2:')).replace(/^.*:(pub|u):?.*$/, '$1'));
    let cacheControl = 'max-age=60, public';
    const ratings = subgraph((r) => ({ averageRating: r.id.length }));
    const send = (r: FetchRequest) =>
      ratings.send(r).then((sent) => {
        sent.response.http?.headers.set('cache-control', cacheControl);
        return sent;
      });
    // Before any answer: the caller's private and the public variant.
    await fetchEntities(cache, RATINGS, ['p1'], send, 'ada');
    expect(variants()).toEqual(['u', 'pub']);
    // Answered publicly since: only the public one, and a hit from it.
    const hit = await fetchEntities(cache, RATINGS, ['p1'], send, 'ada');
    expect(variants()).toEqual(['pub']);
    expect(hit.state.status()).toBe('hit');
    // A private answer for this selection (hints changed): from then on both, and the private entry is found.
    cacheControl = 'max-age=60, private';
    await fetchEntities(cache, RATINGS, ['p2'], send, 'bob');
    const mine = await fetchEntities(cache, RATINGS, ['p2'], send, 'bob');
    expect(variants()).toEqual(['u', 'pub']);
    expect(mine.state.status()).toBe('hit');
    expect(ratings.sent).toHaveLength(2);
    // Still never another user's: ada's fetch of p2 goes to the subgraph.
    expect((await fetchEntities(cache, RATINGS, ['p2'], send, 'ada')).state.status()).toBe('miss');
  });

  it('serves stale copies of fields that allow it when the subgraph is down, and says so', async () => {
    const cache = runtime();
    const reviews = subgraph(() => ({ averageRating: 4.5 }), 'max-age=1, public');
    await fetchEntities(cache, RATINGS, ['p1', 'p2'], (r) => reviews.send(r));
    reviews.down();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await fetchEntities(cache, RATINGS, ['p2', 'p1'], (r) => reviews.send(r));
    expect(reviews.sent).toHaveLength(2);
    expect(stale.response.errors).toBeUndefined();
    expect(stale.response.data?._entities).toEqual([
      { averageRating: 4.5, bffTag__typename: 'Product', bffTag__id: 'p2' },
      { averageRating: 4.5, bffTag__typename: 'Product', bffTag__id: 'p1' },
    ]);
    expect(stale.state.stale).toBe(true);
    expect(cache.stats.entity.stale).toBe(2);
    // Without a copy for every missing entity the subgraph's error stands, for the right positions.
    const partial = await fetchEntities(cache, RATINGS, ['p1', 'p9'], (r) => reviews.send(r));
    expect(partial.response.errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
  });

  it('does not serve stale copies of fields that do not allow it', async () => {
    const cache = runtime();
    const orders = subgraph(() => ({ spending: { orderCount: 3 } }), 'max-age=1, private');
    await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), 'ada');
    orders.down();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const failed = await fetchEntities(cache, ORDERS, ['ada'], (r) => orders.send(r), 'ada');
    expect(failed.response.errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(failed.state.stale).toBe(false);
  });

  it('remaps the errors of the entities it sent to their places in the whole fetch', async () => {
    const cache = runtime();
    await fetchEntities(cache, RATINGS, ['p1'], (r) => subgraph(() => ({ averageRating: 1 })).send(r));
    // eslint-disable-next-line @typescript-eslint/require-await -- stands in for the transport's asynchronous send
    const failing = async (request: FetchRequest): Promise<SentFetch> => {
      const representations = request.variables?.representations as Representation[];
      expect(representations).toEqual([{ __typename: 'Product', id: 'p2' }]);
      return {
        response: {
          data: { _entities: [null] },
          errors: [{ message: 'nope', path: ['_entities', 0, 'averageRating'] }],
        },
        unavailable: false,
      };
    };
    const { response } = await fetchEntities(cache, RATINGS, ['p1', 'p2', 'p2'], failing);
    expect(response.data?._entities).toEqual([
      { averageRating: 1, bffTag__typename: 'Product', bffTag__id: 'p1' },
      null,
      null,
    ]);
    expect(response.errors?.map((e) => e.path)).toEqual([
      ['_entities', 1, 'averageRating'],
      ['_entities', 2, 'averageRating'],
    ]);
  });
});

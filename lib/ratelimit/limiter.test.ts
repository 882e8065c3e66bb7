import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildASTSchema, parse } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../test/support/ports.ts';
import { gatewaySupergraphPath, SUPERGRAPH_PATH } from '../composition.ts';
import { silentLogger } from '../observability/index.ts';
import { createRedisConnection, type RedisConfig, type RedisConnection } from '../redis/index.ts';
import { memoryBudgetStore } from './budgetStore.ts';
import {
  CHECKOUT_FIELD,
  DEFAULT_REGISTRATION_BUDGET,
  rateLimitConfigFromEnv,
  type RateLimitBudgets,
  type RateLimitConfig,
} from './config.ts';
import { schemaFieldLimits, windowSeconds, type SchemaFieldLimit } from './directive.ts';
import { fieldUsage } from './fieldUsage.ts';
import { createRateLimiter, RateLimitUnavailableError, subjectKey, type OperationUse } from './limiter.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY_PREFIX = `test:limiter:${randomUUID().slice(0, 8)}:`;
const BUDGETS: RateLimitBudgets = {
  query: { points: 10, windowSeconds: 60 },
  mutation: { points: 2, windowSeconds: 60 },
};
const config = (redis: RedisConfig, extra: Partial<RateLimitConfig> = {}): RateLimitConfig => ({
  budgets: BUDGETS,
  replicas: 1,
  redis,
  ...extra,
});
const redisConfig: RedisConfig = { kind: 'single', url: REDIS_URL, keyPrefix: KEY_PREFIX, commandTimeoutMs: 1000 };
const connection = createRedisConnection(redisConfig, silentLogger());
const opened: RedisConnection[] = [];

afterAll(async () => {
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${KEY_PREFIX}*`);
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
  await Promise.all([connection, ...opened].map((c) => c.close()));
});

const query = (cost: number): OperationUse => ({ kind: 'query', cost, fields: new Map() });
const mutation = (
  fields: Record<string, number>,
  cost = Object.values(fields).reduce((a, b) => a + b, 0),
): OperationUse => ({
  kind: 'mutation',
  cost,
  fields: new Map(Object.entries(fields)),
});
const addReviewLimit: SchemaFieldLimit = { budget: { points: 3, windowSeconds: 60 }, failClosed: false };

describe('subjectKey', () => {
  it('hash-tags the whole subject, so a cluster keeps each subject on one slot', () => {
    expect(subjectKey({ userId: '42' })).toBe('{user:42}');
    expect(subjectKey({ ip: '::1' })).toBe('{ip:::1}');
  });
});

describe('rateLimitConfigFromEnv', () => {
  const memory: RedisConfig = { kind: 'memory', keyPrefix: '' };
  const defaults = {
    budgets: { ...BUDGETS, fields: { [CHECKOUT_FIELD]: { points: 3, windowSeconds: 60 } } },
    failClosedFields: [CHECKOUT_FIELD],
  };

  it('takes the profile defaults and env overrides', () => {
    const parsed = rateLimitConfigFromEnv(defaults, memory, {
      RATE_LIMIT_QUERY_POINTS: '500',
      RATE_LIMIT_MUTATION_WINDOW_SECONDS: '10',
      RATE_LIMIT_CHECKOUT_POINTS: '1',
      RATE_LIMIT_FAIL_CLOSED_FIELDS: ' Mutation.checkout, Mutation.addReview ',
      RATE_LIMIT_REPLICAS: '3',
      RATE_LIMIT_APQ_POINTS: '3',
    });
    expect(parsed).toEqual({
      budgets: {
        query: { points: 500, windowSeconds: 60 },
        mutation: { points: 2, windowSeconds: 10 },
        fields: { [CHECKOUT_FIELD]: { points: 1, windowSeconds: 60 } },
        registrations: { points: 3, windowSeconds: 60 },
      },
      failClosedFields: [CHECKOUT_FIELD, 'Mutation.addReview'],
      replicas: 3,
      redis: memory,
    });
    expect(rateLimitConfigFromEnv(defaults, memory, {})).toMatchObject({
      budgets: { ...defaults.budgets, registrations: DEFAULT_REGISTRATION_BUDGET },
      failClosedFields: [CHECKOUT_FIELD],
    });
    expect(rateLimitConfigFromEnv(defaults, memory, { RATE_LIMIT_FAIL_CLOSED_FIELDS: '' })).toMatchObject({
      failClosedFields: [],
    });
  });

  it('turns limits off with RATE_LIMIT_ENABLED=false and refuses nonsense', () => {
    expect(rateLimitConfigFromEnv(defaults, memory, { RATE_LIMIT_ENABLED: 'false' })).toBeNull();
    expect(() => rateLimitConfigFromEnv(defaults, memory, { RATE_LIMIT_QUERY_POINTS: '-1' })).toThrow(
      'RATE_LIMIT_QUERY_POINTS',
    );
    expect(() => rateLimitConfigFromEnv(defaults, memory, { RATE_LIMIT_CHECKOUT_WINDOW_SECONDS: '0' })).toThrow(
      'RATE_LIMIT_CHECKOUT_WINDOW_SECONDS',
    );
    expect(() => rateLimitConfigFromEnv(defaults, memory, { RATE_LIMIT_FAIL_CLOSED_FIELDS: 'checkout' })).toThrow(
      'RATE_LIMIT_FAIL_CLOSED_FIELDS',
    );
  });
});

describe('@rateLimit declarations', () => {
  it('reads windows as durations and refuses anything else', () => {
    expect([
      windowSeconds('30s', 'x'),
      windowSeconds('1m', 'x'),
      windowSeconds('2h', 'x'),
      windowSeconds('1d', 'x'),
    ]).toEqual([30, 60, 7200, 86_400]);
    for (const bad of ['0m', '1 m', '1w', 'm', '-1s', '1.5m'])
      expect(() => windowSeconds(bad, 'f')).toThrow(`f: window "${bad}"`);
  });

  it('reads every declaration of the committed supergraphs (a bad one would stop the gateways)', () => {
    for (const path of [SUPERGRAPH_PATH, gatewaySupergraphPath('web'), gatewaySupergraphPath('mobile')]) {
      const limits = schemaFieldLimits(readFileSync(path, 'utf8'));
      expect(limits.get('Mutation.addReview')).toEqual({ budget: { points: 5, windowSeconds: 60 }, failClosed: false });
    }
  });

  it('names the field of a declaration it cannot read', () => {
    const sdl = (args: string) => `type Mutation { a: Int @rateLimit(${args}) }`;
    expect(schemaFieldLimits(sdl('max: 2, window: "10s", failClosed: true')).get('Mutation.a')).toEqual({
      budget: { points: 2, windowSeconds: 10 },
      failClosed: true,
    });
    expect(() => schemaFieldLimits(sdl('max: 0, window: "1m"'))).toThrow('@rateLimit on Mutation.a: max');
    expect(() => schemaFieldLimits(sdl('max: 2, window: "soon"'))).toThrow('@rateLimit on Mutation.a: window "soon"');
  });
});

describe('fieldUsage', () => {
  const schema = buildASTSchema(
    parse(`
    type Query { a: A, list: [A] }
    type A { id: ID, b: A, limited: Int }
    type Mutation { addReview(id: ID): A, other: A }
  `),
  );
  const usage = (document: string, watched: string[], operationName?: string) => {
    const { rootFields, fields } = fieldUsage(schema, parse(document), operationName, new Set(watched));
    return { rootFields, fields: Object.fromEntries(fields) };
  };

  it('counts every occurrence: aliases, fragments spread twice, inline fragments; never __typename', () => {
    const doc = `
      mutation M { __typename a: addReview(id: 1) { id } b: addReview(id: 2) { id } ...F ...F other { id } ... on Mutation { c: addReview { id } } }
      fragment F on Mutation { d: addReview { id } }`;
    expect(usage(doc, ['Mutation.addReview'])).toEqual({ rootFields: 6, fields: { 'Mutation.addReview': 5 } });
    expect(usage(doc, [])).toEqual({ rootFields: 6, fields: {} });
  });

  it('finds nested watched fields once per selection, and picks the named operation', () => {
    const doc = `query X { a { id } } query Y { a { limited b { limited } } list { limited } }`;
    expect(usage(doc, ['A.limited'], 'Y')).toEqual({ rootFields: 2, fields: { 'A.limited': 3 } });
    expect(usage(doc, ['A.limited'], 'X')).toEqual({ rootFields: 1, fields: {} });
  });

  it('never loops on a fragment cycle', () => {
    expect(usage(`query { a { ...F } } fragment F on A { b { ...F limited } }`, ['A.limited'])).toEqual({
      rootFields: 1,
      fields: { 'A.limited': 1 },
    });
  });
});

describe('memoryBudgetStore', () => {
  it('spends all or nothing, and a new window starts whole', async () => {
    let now = 1_000;
    const store = memoryBudgetStore(() => now);
    const a = { key: 'a', limit: 5, windowMs: 1000 };
    const b = { key: 'b', limit: 2, windowMs: 1000 };
    expect(
      await store.spend([
        { ...a, points: 3 },
        { ...b, points: 2 },
      ]),
    ).toMatchObject({ refused: null, states: [{ used: 3 }, { used: 2 }] });
    expect(
      await store.spend([
        { ...a, points: 1 },
        { ...b, points: 1 },
      ]),
    ).toMatchObject({ refused: 1, states: [{ used: 3 }, { used: 2 }] });
    now += 1000;
    expect(
      await store.spend([
        { ...a, points: 5 },
        { ...b, points: 0 },
      ]),
    ).toMatchObject({ refused: null, states: [{ used: 5, msLeft: 1000 }, { used: 0 }] });
  });
});

describe.each([
  ['in-process', () => createRedisConnection({ kind: 'memory', keyPrefix: KEY_PREFIX }, silentLogger())],
  ['Redis', () => connection],
] as const)('createRateLimiter (%s)', (_name, open) => {
  it('admits exactly the budget of concurrent spends, and peeking spends nothing', async () => {
    const store = open();
    expect(await store.waitUntilReady(5000)).toBe(true);
    const limiter = createRateLimiter(config(store.config), store, 'web');
    const subject = { userId: randomUUID() };
    expect(await limiter.peek(subject, 'query')).toMatchObject({ remaining: 10, cost: 0 });
    const admissions = await Promise.all(Array.from({ length: 25 }, () => limiter.admit(subject, query(1))));
    expect(admissions.filter((a) => a.admitted)).toHaveLength(10);
    const refused = admissions.find((a) => !a.admitted);
    expect(refused && !refused.admitted && refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limiter.peek(subject, 'query')).toMatchObject({ remaining: 0 });
  });

  it('keeps kinds, clients and subjects apart, and a refusal spends nothing', async () => {
    const store = open();
    const web = createRateLimiter(config(store.config), store, 'web');
    const mobile = createRateLimiter(config(store.config), store, 'mobile');
    const subject = { userId: randomUUID() };
    expect(await web.admit(subject, query(8))).toMatchObject({ admitted: true, status: { remaining: 2 } });
    expect(await web.admit(subject, query(3))).toMatchObject({ admitted: false, refusedBy: 'query' });
    expect(await web.admit(subject, query(2))).toMatchObject({ admitted: true, status: { remaining: 0 } });
    expect(await web.admit(subject, mutation({}, 1))).toMatchObject({
      admitted: true,
      status: { remaining: 1, limit: 2 },
    });
    expect(await mobile.admit(subject, query(1))).toMatchObject({ admitted: true, status: { remaining: 9 } });
    expect(await web.admit({ userId: randomUUID() }, query(1))).toMatchObject({ admitted: true });
    expect(await web.admit({ ip: '127.0.0.9' }, query(11))).toMatchObject({ admitted: false });
  });

  it('spends a field budget per occurrence with the operation budget, all or nothing, under concurrency', async () => {
    const store = open();
    const limits = new Map([['Mutation.addReview', addReviewLimit]]);
    const limiter = createRateLimiter(
      config(store.config, { budgets: { ...BUDGETS, mutation: { points: 10, windowSeconds: 60 } } }),
      store,
      'web',
      limits,
    );
    expect([...limiter.watchedFields]).toEqual(['Mutation.addReview']);
    const subject = { userId: randomUUID() };
    const admissions = await Promise.all(
      Array.from({ length: 12 }, () => limiter.admit(subject, mutation({ 'Mutation.addReview': 1 }))),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(3);
    const refusal = admissions.find((a) => !a.admitted);
    expect(refusal).toMatchObject({
      refusedBy: 'Mutation.addReview',
      fields: { 'Mutation.addReview': { remaining: 0, limit: 3 } },
    });
    // The refused nine spent nothing of the operation budget.
    expect(await limiter.peek(subject, 'mutation')).toMatchObject({ remaining: 7, limit: 10 });
    // Other mutations still run on what is left.
    expect(await limiter.admit(subject, mutation({ 'Mutation.other': 0 }, 1))).toMatchObject({
      admitted: true,
      status: { remaining: 6 },
    });
  });

  it('refuses two occurrences when one is left', async () => {
    const store = open();
    const budgets = { ...BUDGETS, mutation: { points: 10, windowSeconds: 60 } };
    const web = createRateLimiter(
      config(store.config, { budgets }),
      store,
      'web',
      new Map([['Mutation.addReview', addReviewLimit]]),
    );
    const subject = { userId: randomUUID() };
    expect(await web.admit(subject, mutation({ 'Mutation.addReview': 2 }))).toMatchObject({
      admitted: true,
      fields: { 'Mutation.addReview': { cost: 2, remaining: 1 } },
    });
    expect(await web.admit(subject, mutation({ 'Mutation.addReview': 2 }))).toMatchObject({
      admitted: false,
      refusedBy: 'Mutation.addReview',
    });
    expect(await web.admit(subject, mutation({ 'Mutation.addReview': 1 }))).toMatchObject({
      admitted: true,
      fields: { 'Mutation.addReview': { remaining: 0 } },
    });
  });

  it("applies the client's own field budgets (checkout) beside the operation budget", async () => {
    const store = open();
    const budgets = {
      ...BUDGETS,
      mutation: { points: 10, windowSeconds: 60 },
      fields: { [CHECKOUT_FIELD]: { points: 1, windowSeconds: 60 } },
    };
    const web = createRateLimiter(config(store.config, { budgets }), store, 'web');
    const mobile = createRateLimiter(config(store.config, { budgets }), store, 'mobile');
    const subject = { userId: randomUUID() };
    expect(await web.admit(subject, mutation({ [CHECKOUT_FIELD]: 1 }))).toMatchObject({ admitted: true });
    expect(await web.admit(subject, mutation({ [CHECKOUT_FIELD]: 1 }))).toMatchObject({
      admitted: false,
      refusedBy: CHECKOUT_FIELD,
    });
    expect(await mobile.admit(subject, mutation({ [CHECKOUT_FIELD]: 1 }))).toMatchObject({ admitted: true });
  });
});

describe('createRateLimiter on a shared Redis', () => {
  it('shares a schema-declared field budget between the web and mobile gateways', async () => {
    const limits = new Map([['Mutation.addReview', addReviewLimit]]);
    const web = createRateLimiter(config(redisConfig), connection, 'web', limits);
    const mobile = createRateLimiter(config(redisConfig), connection, 'mobile', limits);
    const subject = { userId: randomUUID() };
    expect(await web.admit(subject, mutation({ 'Mutation.addReview': 2 }))).toMatchObject({ admitted: true });
    expect(await mobile.admit(subject, mutation({ 'Mutation.addReview': 2 }))).toMatchObject({
      admitted: false,
      refusedBy: 'Mutation.addReview',
    });
    expect(await mobile.admit(subject, mutation({ 'Mutation.addReview': 1 }))).toMatchObject({
      admitted: true,
      fields: { 'Mutation.addReview': { remaining: 0 } },
    });
  });
});

describe('createRateLimiter while Redis is unreachable', () => {
  it('refuses fail-closed fields with RateLimitUnavailableError and admits the rest on the insurance limiter', async () => {
    const [port] = await freePorts(1);
    const dead = createRedisConnection(
      { kind: 'single', url: `redis://127.0.0.1:${port}`, keyPrefix: KEY_PREFIX, commandTimeoutMs: 200 },
      silentLogger(),
    );
    opened.push(dead);
    const limits = new Map<string, SchemaFieldLimit>([
      ['Mutation.addReview', addReviewLimit],
      ['Mutation.pay', { budget: { points: 9, windowSeconds: 60 }, failClosed: true }],
    ]);
    const limiter = createRateLimiter(
      config(dead.config, { replicas: 2, failClosedFields: [CHECKOUT_FIELD] }),
      dead,
      'web',
      limits,
    );
    expect([...limiter.watchedFields].sort()).toEqual(['Mutation.addReview', CHECKOUT_FIELD, 'Mutation.pay']);
    const subject = { userId: randomUUID() };
    await expect(limiter.admit(subject, mutation({ [CHECKOUT_FIELD]: 1 }))).rejects.toBeInstanceOf(
      RateLimitUnavailableError,
    );
    await expect(
      limiter.admit(subject, mutation({ 'Mutation.pay': 1, 'Mutation.addReview': 1 })),
    ).rejects.toMatchObject({ field: 'Mutation.pay' });
    // Insurance: the budget divided by the two replicas.
    const admitted = [];
    for (let i = 0; i < 6; i++) admitted.push((await limiter.admit(subject, query(1))).admitted);
    expect(admitted).toEqual([true, true, true, true, true, false]);
    expect(await limiter.admit(subject, mutation({ 'Mutation.addReview': 1 }))).toMatchObject({
      admitted: true,
      fields: { 'Mutation.addReview': { remaining: 0 } },
    });
    expect(await limiter.peek(subject, 'query')).toMatchObject({ remaining: 0, limit: 10 });
  });
});

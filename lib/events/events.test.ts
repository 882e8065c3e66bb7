import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type OrdersPrisma } from '../../subgraphs/orders/src/db.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../test/support/databases.ts';
import { openServiceDatabase, type ServiceDatabase } from '../db/index.ts';
import { silentLogger } from '../observability/index.ts';
import { createRedisConnection, type RedisConnection } from '../redis/index.ts';
import { migrationsDirOf } from '../subgraph/index.ts';
import {
  appendToOutbox,
  createEvent,
  createEventTransport,
  deadLetterKey,
  InProcessEventBus,
  relayOutboxBatch,
  streamKey,
  type DomainEvent,
  type EventHandlers,
  type EventsConfig,
  type RawSql,
} from './index.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = silentLogger();
const prefix = uniquePrefix('events');
const keyPrefix = `test:${prefix}`;
const config: EventsConfig = {
  maxDeliveries: 3,
  claimIdleMs: 150,
  blockMs: 100,
  batchSize: 50,
  streamMaxLen: 100_000,
  relayPollMs: 20,
};

let database: ServiceDatabase;
let prisma: OrdersPrisma;
let redis: RedisConnection;

/** Polls until `check` holds, failing after a bound that is generous for a loaded 2-core machine. */
async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function userUpdated(): DomainEvent<'user.updated'> {
  return createEvent('user.updated', { userId: randomUUID(), changed: ['name'] }, { source: 'users' });
}

async function unpublishedCount(): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`,
  );
  return rows[0]?.n ?? -1;
}

async function inboxHas(ids: readonly string[]): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM "InboxEvent" WHERE "id" = ANY($1::uuid[])`,
    ids,
  );
  return rows[0]?.n ?? -1;
}

function client() {
  if (!redis.client) throw new Error('no Redis client');
  return redis.client;
}

/** Each test uses its own stream namespace, so groups and streams never see another test's entries. */
function transportFor(label: string, overrides: Partial<EventsConfig> = {}) {
  const streamPrefix = `${label}:`;
  return {
    transport: createEventTransport({ redis, config: { ...config, ...overrides }, logger, streamPrefix }),
    stream: (type: string) => streamKey(`${keyPrefix}${streamPrefix}`, type),
    dlq: (group: string) => deadLetterKey(`${keyPrefix}${streamPrefix}`, group),
  };
}

beforeAll(async () => {
  database = await openServiceDatabase('orders', { env: databaseEnv(prefix), logger });
  await database.migrate(migrationsDirOf('orders'));
  prisma = createPrisma(database.adapter);
  redis = createRedisConnection({ kind: 'single', url: REDIS_URL, keyPrefix, commandTimeoutMs: 2_000 }, logger);
  expect(await redis.waitUntilReady(5_000)).toBe(true);
});

afterAll(async () => {
  if (redis?.client) {
    const keys = await client().keys(`${keyPrefix}*`);
    if (keys.length) await client().del(...keys);
    await redis.close();
  }
  await prisma?.$disconnect();
  await database?.close();
  await dropDatabasesWithPrefix(prefix);
});

describe('transactional outbox', () => {
  it('never publishes an event appended in a rolled-back transaction', async () => {
    const { transport, stream } = transportFor('rollback');
    const event = userUpdated();
    await expect(
      prisma.$transaction(async (tx) => {
        await appendToOutbox(tx, event);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await relayOutboxBatch(prisma, 100, (events) => transport.publish(events))).toBe(0);
    expect(await client().xlen(stream('user.updated'))).toBe(0);
  });

  it('refuses an event whose payload does not match its schema', async () => {
    const bad = { ...userUpdated(), payload: { userId: 'not-a-uuid', changed: [] } } as unknown as DomainEvent;
    await expect(prisma.$transaction((tx) => appendToOutbox(tx, bad))).rejects.toThrow(/invalid event/i);
  });

  it('publishes each committed event exactly once with two relays running at once', async () => {
    const { stream } = transportFor('relays');
    const events = Array.from({ length: 400 }, userUpdated);
    for (let i = 0; i < events.length; i += 40) {
      await prisma.$transaction(async (tx) => {
        for (const event of events.slice(i, i + 40)) await appendToOutbox(tx, event);
      });
    }
    // Small batches so both relays are busy on the same backlog.
    const relays = [0, 1].map(() => transportFor('relays', { batchSize: 7 }).transport.relay(prisma));
    await waitFor(async () => (await unpublishedCount()) === 0, 'the outbox to drain');
    await Promise.all(relays.map((r) => r.stop()));
    expect(relays.every((r) => r.published > 0)).toBe(true);
    expect(relays[0]!.published + relays[1]!.published).toBe(400);
    const entries = await client().xrange(stream('user.updated'), '-', '+');
    const ids = entries.map(([, fields]) => (JSON.parse(fields[1] ?? '{}') as { id: string }).id);
    expect(ids).toHaveLength(400);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
  });
});

describe('consumer groups over Redis Streams', () => {
  it('handles an event delivered twice once, through the inbox', async () => {
    const { transport, stream } = transportFor('dup');
    const calls: string[] = [];
    const handlers: EventHandlers<RawSql> = { 'user.updated': (event) => void calls.push(event.id) };
    const event = userUpdated();
    await transport.publish([event]);
    await transport.publish([event]);
    const consumer = await transport.consume({ group: 'dup', db: prisma, handlers });
    await waitFor(() => consumer.stats.handled + consumer.stats.duplicates === 2, 'both deliveries');
    await consumer.stop();
    expect(calls).toEqual([event.id]);
    expect(consumer.stats).toMatchObject({ handled: 1, duplicates: 1, deadLettered: 0 });
    expect(await inboxHas([event.id])).toBe(1);
    expect((await client().xpending(stream('user.updated'), 'dup'))[0]).toBe(0);
  });

  it('retries a failing handler and dead-letters the event after N deliveries, rolling back its writes', async () => {
    const { transport, stream, dlq } = transportFor('retry');
    const poison = userUpdated();
    const fine = userUpdated();
    const attempts = new Map<string, number>();
    const handlers: EventHandlers<RawSql> = {
      'user.updated': async (event, tx) => {
        attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
        await tx.$executeRawUnsafe(`SELECT 1`);
        if (event.id === poison.id) throw new Error('projection exploded');
      },
    };
    await transport.publish([poison, fine]);
    const consumer = await transport.consume({ group: 'retry', db: prisma, handlers });
    await waitFor(async () => (await client().xlen(dlq('retry'))) === 1, 'the dead letter');
    await consumer.stop();
    expect(attempts.get(poison.id)).toBe(config.maxDeliveries);
    expect(attempts.get(fine.id)).toBe(1);
    const entries = (await client().xrange(dlq('retry'), '-', '+')) as Array<[string, string[]]>;
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    const dead: Record<string, string | undefined> = Object.fromEntries(
      Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i]!, fields[2 * i + 1]!]),
    );
    expect((JSON.parse(dead.event ?? '{}') as { id: string }).id).toBe(poison.id);
    expect(dead.reason).toContain('projection exploded');
    // The failed attempts left no inbox row; the good event has one; nothing stays pending.
    expect(await inboxHas([poison.id])).toBe(0);
    expect(await inboxHas([fine.id])).toBe(1);
    expect((await client().xpending(stream('user.updated'), 'retry'))[0]).toBe(0);
  });

  it('dead-letters malformed entries at once and keeps consuming', async () => {
    const { transport, stream, dlq } = transportFor('malformed');
    const key = stream('user.updated');
    const good = userUpdated();
    const handled: string[] = [];
    const consumer = await transport.consume({
      group: 'malformed',
      db: prisma,
      handlers: { 'user.updated': (e) => void handled.push(e.id) },
    });
    await client().xadd(key, '*', 'event', '{not json');
    await client().xadd(key, '*', 'event', JSON.stringify({ ...userUpdated(), version: 9 }));
    await client().xadd(
      key,
      '*',
      'event',
      JSON.stringify({ ...userUpdated(), payload: { userId: randomUUID(), changed: ['shoeSize'] } }),
    );
    await client().xadd(key, '*', 'other', 'field');
    await transport.publish([good]);
    await waitFor(() => handled.length === 1, 'the good event after the bad ones');
    await consumer.stop();
    expect(handled).toEqual([good.id]);
    const dead = (await client().xrange(dlq('malformed'), '-', '+')) as Array<[string, string[]]>;
    expect(dead).toHaveLength(4);
    const reasons = dead.map(([, f]) => f[f.indexOf('reason') + 1] ?? '');
    expect(reasons[0]).toContain('not JSON');
    expect(reasons[1]).toContain('unknown event type or version: user.updated v9');
    expect(reasons[2]).toContain('payload of user.updated v1');
    expect(reasons[3]).toContain('no event field');
    expect(consumer.stats).toMatchObject({ handled: 1, deadLettered: 4 });
  });

  it('loses nothing when a consumer dies holding delivered entries: another one claims them', async () => {
    const { transport, stream } = transportFor('crash');
    const events = Array.from({ length: 30 }, userUpdated);
    await transport.publish(events);
    // The first consumer joins the group and reads everything, then dies before acknowledging anything.
    const key = stream('user.updated');
    await client().xgroup('CREATE', key, 'crash', '0', 'MKSTREAM');
    const read = await client().call(
      'XREADGROUP',
      'GROUP',
      'crash',
      'dead-consumer',
      'COUNT',
      100,
      'STREAMS',
      key,
      '>',
    );
    expect(Array.isArray(read)).toBe(true);
    expect((await client().xpending(key, 'crash'))[0]).toBe(30);
    const handled: string[] = [];
    const survivor = await transport.consume({
      group: 'crash',
      db: prisma,
      handlers: { 'user.updated': (e) => void handled.push(e.id) },
      consumer: 'survivor',
    });
    await waitFor(() => handled.length === 30, 'the survivor to claim and handle every entry');
    await survivor.stop();
    expect(new Set(handled)).toEqual(new Set(events.map((e) => e.id)));
    expect(await inboxHas(events.map((e) => e.id))).toBe(30);
    expect((await client().xpending(key, 'crash'))[0]).toBe(0);
  });

  it('delivers 1,000 events from outbox to handler exactly once each (and reports the lag)', async () => {
    const { transport } = transportFor('lag');
    const lags: number[] = [];
    const handled = new Set<string>();
    const consumer = await transport.consume({
      group: 'lag',
      db: prisma,
      handlers: {
        'user.updated': (event) => {
          lags.push(Date.now() - Date.parse(event.occurredAt));
          handled.add(event.id);
        },
      },
    });
    const relay = transport.relay(prisma);
    const events = Array.from({ length: 1000 }, userUpdated);
    const started = Date.now();
    // Ten writers committing one event per transaction, as request handlers would.
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = w; i < events.length; i += 10) {
          const event = createEvent('user.updated', events[i]!.payload, { source: 'users' });
          events[i] = event;
          await prisma.$transaction((tx) => appendToOutbox(tx, event));
        }
      }),
    );
    const written = Date.now() - started;
    await waitFor(() => handled.size === 1000, '1,000 handled events', 45_000);
    const elapsed = Date.now() - started;
    await relay.stop();
    await consumer.stop();
    expect(consumer.stats.handled).toBe(1000);
    expect(consumer.stats.duplicates).toBe(0);
    const sorted = [...lags].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `outbox -> handled lag over 1,000 events: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1]} ms; ${Math.round(1000 / (elapsed / 1000))} events/s end to end (all committed after ${written} ms)`,
    );
  });
  it('delivers events written at a steady 100 per second (and reports the lag)', async () => {
    const { transport } = transportFor('paced');
    const lags: number[] = [];
    const consumer = await transport.consume({
      group: 'paced',
      db: prisma,
      handlers: { 'user.updated': (event) => void lags.push(Date.now() - Date.parse(event.occurredAt)) },
    });
    const relay = transport.relay(prisma);
    for (let i = 0; i < 300; i += 1) {
      const event = userUpdated();
      await prisma.$transaction((tx) => appendToOutbox(tx, event));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(() => lags.length === 300, '300 handled events');
    await relay.stop();
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ handled: 300, duplicates: 0, deadLettered: 0 });
    const sorted = [...lags].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `outbox -> handled lag at ~100 events/s (relay poll ${config.relayPollMs} ms): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
    );
  });
});

describe('in-process delivery without Redis', () => {
  it('relays the outbox to subscribers in this process, with the inbox and dead letters', async () => {
    const bus = new InProcessEventBus();
    const memory = createRedisConnection({ kind: 'memory', keyPrefix }, logger);
    const transport = createEventTransport({ redis: memory, config, logger, bus });
    expect(transport.kind).toBe('in-process');
    const events = Array.from({ length: 20 }, userUpdated);
    const poison = events[5]!;
    const calls = new Map<string, number>();
    const consumer = await transport.consume({
      group: 'local',
      db: prisma,
      handlers: {
        'user.updated': (event) => {
          calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
          if (event.id === poison.id) throw new Error('nope');
        },
      },
    });
    const rolledBack = userUpdated();
    await prisma
      .$transaction((tx) => appendToOutbox(tx, rolledBack).then(() => Promise.reject(new Error('rollback'))))
      .catch(() => undefined);
    await prisma.$transaction(async (tx) => {
      for (const event of events) await appendToOutbox(tx, event);
    });
    const relay = transport.relay(prisma);
    await waitFor(async () => (await unpublishedCount()) === 0, 'the outbox to drain');
    await relay.stop();
    // Delivered again (a relay that crashed before marking its batch): the inbox absorbs it.
    await transport.publish(events.slice(0, 3));
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ handled: 19, duplicates: 3, deadLettered: 1 });
    expect(calls.get(poison.id)).toBe(config.maxDeliveries);
    expect(calls.has(rolledBack.id)).toBe(false);
    expect(bus.deadLetters.map((d) => d.reason)).toEqual([`handler failed ${config.maxDeliveries} times: nope`]);
    expect(await inboxHas(events.map((e) => e.id))).toBe(19);
  });
});

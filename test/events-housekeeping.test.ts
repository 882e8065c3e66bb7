// Housekeeping of the event plumbing against real Postgres and Redis: outbox and inbox rows older
// than EVENTS_RETENTION_HOURS are pruned by every service's workers (unpublished rows never), and
// `npm run events:dlq -- list|redrive` shows and replays dead-lettered events.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import {
  createEvent,
  createEventTransport,
  deadLetterKey,
  startServiceEvents,
  streamKey,
  type EventDatabase,
  type EventsConfig,
} from '../lib/events/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { createRedisConnection } from '../lib/redis/index.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';

const run = promisify(execFile);
const logger = silentLogger();
const prefix = uniquePrefix('housekeeping');
const keyPrefix = uniqueKeyPrefix('dlq');
const admin = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  await deleteKeys(admin, keyPrefix);
  admin.disconnect();
  await dropDatabasesWithPrefix(prefix);
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('outbox and inbox retention', () => {
  it('prunes published outbox rows and inbox rows past EVENTS_RETENTION_HOURS, never unpublished ones', async () => {
    const env = { ...databaseEnv(prefix), EVENTS_RETENTION_HOURS: '1' };
    const prepared = await SUBGRAPH_SERVICES.users.prepare({ env, logger });
    // Every generated client has the raw-SQL surface the event plumbing uses.
    const db = prepared.prisma as unknown as EventDatabase;
    try {
      const ids = {
        oldPublished: randomUUID(),
        oldUnpublished: randomUUID(),
        recentPublished: randomUUID(),
        oldHandled: randomUUID(),
        recentHandled: randomUUID(),
      };
      const outbox = (id: string, occurredAgo: string, publishedAgo: string | null) =>
        db.$executeRawUnsafe(
          `INSERT INTO "OutboxEvent" ("id", "type", "version", "source", "occurredAt", "payload", "publishedAt")
           VALUES ($1::uuid, 'user.updated', 1, 'users', now() - $2::interval, '{}'::jsonb,
                   CASE WHEN $3::text IS NULL THEN NULL ELSE now() - $3::interval END)`,
          id,
          occurredAgo,
          publishedAgo,
        );
      await outbox(ids.oldPublished, '3 hours', '2 hours');
      await outbox(ids.oldUnpublished, '3 hours', null);
      await outbox(ids.recentPublished, '3 hours', '10 minutes');
      const inbox = (id: string, ago: string) =>
        db.$executeRawUnsafe(
          `INSERT INTO "InboxEvent" ("id", "type", "handledAt") VALUES ($1::uuid, 'order.confirmed', now() - $2::interval)`,
          id,
          ago,
        );
      await inbox(ids.oldHandled, '90 minutes');
      await inbox(ids.recentHandled, '5 minutes');

      // The service's own workers prune (at start, then periodically); no relay so the unpublished row stays.
      const events = await startServiceEvents({ service: 'users', db, logger, env, relay: false });
      const outboxIds = async () =>
        (await db.$queryRawUnsafe<Array<{ id: string }>>(`SELECT "id"::text FROM "OutboxEvent" ORDER BY "id"`)).map(
          (r) => r.id,
        );
      const inboxIds = async () =>
        (await db.$queryRawUnsafe<Array<{ id: string }>>(`SELECT "id"::text FROM "InboxEvent" ORDER BY "id"`)).map(
          (r) => r.id,
        );
      try {
        await waitFor(async () => !(await inboxIds()).includes(ids.oldHandled), 'the old inbox row to be pruned');
      } finally {
        await events.stop();
      }
      expect(await outboxIds()).toEqual([ids.oldUnpublished, ids.recentPublished].sort());
      expect(await inboxIds()).toEqual([ids.recentHandled]);
    } finally {
      await prepared.close();
    }
  });

  it('refuses a retention that is not a positive number of hours, naming the variable', async () => {
    await expect(
      startServiceEvents({
        service: 'users',
        db: { $transaction: () => Promise.reject(new Error('unused')) } as never,
        logger,
        env: { EVENTS_RETENTION_HOURS: '0' },
      }),
    ).rejects.toThrow(/EVENTS_RETENTION_HOURS/);
  });
});

describe('npm run events:dlq', () => {
  const config: EventsConfig = {
    maxDeliveries: 2,
    claimIdleMs: 100,
    blockMs: 100,
    batchSize: 10,
    streamMaxLen: 1000,
    relayPollMs: 20,
  };
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/events-dlq.ts', ...args], {
      cwd: ROOT_DIR,
      env: { ...process.env, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix },
    });

  it('lists dead-lettered events and redrives them to their stream, where the fixed consumer handles them', async () => {
    const connection = createRedisConnection(
      { kind: 'single', url: TEST_REDIS_URL, keyPrefix, commandTimeoutMs: 2000 },
      logger,
    );
    await connection.waitUntilReady(5000);
    const transport = createEventTransport({ redis: connection, config, logger });
    let broken = true;
    const handled: string[] = [];
    const consumer = await transport.consumeWithoutInbox({
      group: 'search-index',
      handlers: {
        'user.updated': (event) => {
          if (broken) return Promise.reject(new Error('index offline'));
          handled.push(event.id);
          return Promise.resolve();
        },
      },
    });
    try {
      const events = [1, 2].map(() =>
        createEvent('user.updated', { userId: randomUUID(), changed: ['name'] }, { source: 'users' }),
      );
      await transport.publish(events);
      const dlq = deadLetterKey(keyPrefix, 'search-index');
      await waitFor(async () => (await admin.xlen(dlq)) === 2, 'both events to be dead-lettered');

      const all = await cli('list');
      expect(all.stdout).toMatch(new RegExp(`^search-index\\s+2\\s+${dlq.replace(/[{}]/g, '\\$&')}$`, 'm'));
      const one = await cli('list', 'search-index');
      for (const event of events) expect(one.stdout).toContain(`user.updated ${event.id}`);
      expect(one.stdout).toContain('index offline');
      expect(one.stdout).toContain(`from ${streamKey(keyPrefix, 'user.updated')}`);

      broken = false;
      const redrive = await cli('redrive', 'search-index');
      expect(redrive.stdout).toContain('Redrove 2 event(s) of search-index');
      await waitFor(() => Promise.resolve(handled.length === 2), 'the redriven events to be handled');
      expect(handled.sort()).toEqual(events.map((e) => e.id).sort());
      expect(await admin.xlen(dlq)).toBe(0);
      expect((await cli('list', 'search-index')).stdout).toContain('No dead-lettered events for search-index.');
    } finally {
      await consumer.stop();
      await connection.close();
    }
  });

  it('names an entry it cannot redrive and exits 1; exits 2 on a usage error', async () => {
    const missing = await cli('redrive', 'search-index', '1-1').then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toContain('1-1');
    const usage = await cli('redrive').then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage?.code).toBe(2);
    expect(usage?.stderr).toContain('usage: npm run events:dlq');
  });
});

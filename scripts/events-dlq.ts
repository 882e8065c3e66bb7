// `npm run events:dlq -- list [group]` shows the dead-lettered events (every consumer group's
// dead-letter stream with its length, or one group's entries); `npm run events:dlq -- redrive <group>
// [entryId ...]` puts them back on their streams for another try. <group> is the consuming service
// (`products`, `reviews`, `gateway-web`...); its dead-letter stream is `<prefix>{events}:dead-letter:<group>`.
// Reads the same REDIS_URL / REDIS_CLUSTER_NODES / REDIS_KEY_PREFIX as the services.
import {
  deadLetterKey,
  deadLetterStreams,
  eventsConfigFromEnv,
  listDeadLetters,
  redriveDeadLetters,
} from '../lib/events/index.ts';
import { createLogger } from '../lib/observability/index.ts';
import { createRedisConnection, redisConfigFromEnv } from '../lib/redis/index.ts';

const usage = 'usage: npm run events:dlq -- list [group] | redrive <group> [entryId ...]';
const [command, group, ...ids] = process.argv.slice(2);
if (!(command === 'list' || (command === 'redrive' && group))) {
  console.error(usage);
  process.exit(2);
}

const config = redisConfigFromEnv();
const connection = createRedisConnection(config, createLogger('events-dlq', 'warn'));
const redis = connection.client;
if (!redis) {
  console.error(
    'No Redis configured: set REDIS_URL (or REDIS_CLUSTER_NODES). Without Redis, events are in-process only.',
  );
  process.exit(2);
}
const prefix = connection.keyPrefix;
// A group may be given as its dead-letter stream's key too.
const groupName = group?.startsWith(deadLetterKey(prefix, '')) ? group.slice(deadLetterKey(prefix, '').length) : group;

let exitCode = 0;
try {
  if (!(await connection.waitUntilReady(5_000))) throw new Error(`Redis is not reachable (${connection.readiness()})`);
  if (command === 'list' && !groupName) {
    const streams = await deadLetterStreams(redis, prefix);
    if (!streams.length) console.log('No dead-lettered events.');
    for (const s of streams) console.log(`${s.group.padEnd(20)} ${String(s.length).padStart(6)}  ${s.key}`);
  } else if (command === 'list') {
    const entries = await listDeadLetters(redis, prefix, groupName!);
    if (!entries.length) console.log(`No dead-lettered events for ${groupName}.`);
    for (const e of entries)
      console.log(
        `${e.id}  ${e.type ?? '(unreadable)'} ${e.eventId ?? ''}  from ${e.stream} ${e.entryId}  after ${e.deliveries} deliveries: ${e.reason}`,
      );
  } else {
    const { redriven, missing } = await redriveDeadLetters(redis, prefix, groupName!, {
      ids: ids.length ? ids : undefined,
      maxLen: eventsConfigFromEnv().streamMaxLen,
    });
    console.log(`Redrove ${redriven.length} event(s) of ${groupName} to their streams.`);
    for (const e of redriven) console.log(`  ${e.id} -> ${e.stream} (${e.type ?? 'unreadable'} ${e.eventId ?? ''})`);
    if (missing.length) {
      console.error(`Not redriven (no such entry, or no stream to return it to): ${missing.join(', ')}`);
      exitCode = 1;
    }
  }
} catch (error) {
  console.error(`events:dlq failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 2;
} finally {
  await connection.close();
}
process.exit(exitCode);

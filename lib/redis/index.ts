export { isRemoteRedis, redisConfigFromEnv, type RedisConfig } from './config.ts';
export { createRedisConnection, type RedisConnection } from './connection.ts';

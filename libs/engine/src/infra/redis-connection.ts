import IORedis, { RedisOptions } from 'ioredis';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on worker connections so a Redis restart pauses
 * work instead of failing it; the client reconnects on its own with a capped backoff.
 */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** times, 3000),
  };
}

/** A plain client. Connection errors while Redis is away are expected: each command fails on its own, and the client reconnects. */
export function createRedis(url: string): IORedis {
  const client = new IORedis(redisOptions(url));
  client.on('error', () => undefined);
  return client;
}

import { Server, Socket, connect, createServer } from 'node:net';
import { inProcessConfig } from '@tsunagu/config';
import { TEST_REDIS_URL, createTestRedisPrefix } from '@tsunagu/testing';
import { EngineRedis } from './engine-redis';
import { BUCKET_TIMEOUT_MS, BucketUnavailable, TokenBucket } from './token-bucket';

/** A bucket on its own client, as a process's engine has one; `close` is that process's shutdown. */
function bucketOn(redisUrl: string, redisPrefix: string): { bucket: TokenBucket; close: () => void } {
  const config = inProcessConfig({ redisUrl, redisPrefix });
  const redis = new EngineRedis(config);
  return { bucket: new TokenBucket(config, redis), close: () => redis.onApplicationShutdown() };
}

/** A TCP peer that takes connections and never answers: Redis hung, or a half-open connection. */
async function silentPeer(): Promise<{ url: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}`, server, sockets };
}

/** A TCP proxy in front of Redis that counts the scripts called through it (EVAL and EVALSHA). */
async function countingProxy(target: string): Promise<{ url: string; scripts: () => number; close: () => Promise<void> }> {
  const { hostname, port: targetPort } = new URL(target);
  let seen = '';
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort || 6379), hostname);
    sockets.push(client, upstream);
    client.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    scripts: () => (seen.match(/\r\nevalsha\r\n|\r\neval\r\n/gi) ?? []).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('TokenBucket on a real Redis', () => {
  const keys = createTestRedisPrefix('bucket');
  afterAll(() => keys.cleanup());

  it('takes units up to one second of the rate, then says how long until more refill', async () => {
    const { bucket, close } = bucketOn(TEST_REDIS_URL, keys.prefix);
    try {
      // Six takes at one instant (one turn): no time passes between them for a unit to refill,
      // however slow the machine, so the answers are exact.
      const waits = await Promise.all(Array.from({ length: 6 }, () => bucket.take('route-a', 5)));
      expect(waits).toEqual([0, 0, 0, 0, 0, 200]); // one unit at 5/s refills in 200 ms
      // Buckets are separate: another route still has its whole second.
      expect(await bucket.take('route-b', 5, 5)).toBe(0);
    } finally {
      close();
    }
  });

  it('answers the takes of one turn in one round trip, in order, as one call each at that instant would', async () => {
    const proxy = await countingProxy(TEST_REDIS_URL);
    const { bucket, close } = bucketOn(proxy.url, keys.prefix);
    try {
      await bucket.take('warm-up', 1); // the connection and the script's first load
      const before = proxy.scripts();
      const sameTurn = await Promise.all([
        ...Array.from({ length: 8 }, () => bucket.take('turn-a', 5)),
        bucket.take('turn-b', 5, 3),
        bucket.take('turn-b', 5, 3),
      ]);
      // Five of route a's eight take its second's five units; each of the rest waits for one unit (1 s / 5).
      expect(sameTurn.slice(0, 8)).toEqual([0, 0, 0, 0, 0, 200, 200, 200]);
      // Route b: the first take leaves 2 of 5 units, so the second waits for one more (200 ms).
      expect(sameTurn.slice(8)).toEqual([0, 200]);
      expect(proxy.scripts() - before).toBe(2); // one call per bucket, not one per take
      // A later turn is a later call, and sees what this one took.
      expect(await bucket.take('turn-a', 5)).toBeGreaterThan(0);
      expect(proxy.scripts() - before).toBe(3);
    } finally {
      close();
      await proxy.close();
    }
  });

  it('gives up on a Redis that does not answer, within its bound, instead of holding the caller', async () => {
    const peer = await silentPeer();
    const { bucket, close } = bucketOn(peer.url, keys.prefix);
    try {
      const started = Date.now();
      const err = await bucket.take('route-a', 5).catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(err).toBeInstanceOf(BucketUnavailable);
      expect((err as BucketUnavailable).bucket).toBe('route-a');
      expect(waited).toBeGreaterThanOrEqual(BUCKET_TIMEOUT_MS - 5);
      expect(waited).toBeLessThan(BUCKET_TIMEOUT_MS + 1000);
    } finally {
      close();
      for (const s of peer.sockets) s.destroy();
      await new Promise((r) => peer.server.close(r));
    }
  });

  it('gives up on a Redis that is not there at all (the client queues while it reconnects)', async () => {
    const peer = await silentPeer();
    const url = peer.url;
    await new Promise((r) => peer.server.close(r)); // nothing listens on the port now
    const { bucket, close } = bucketOn(url, keys.prefix);
    try {
      await expect(bucket.take('route-a', 5, 1, 100)).rejects.toBeInstanceOf(BucketUnavailable);
    } finally {
      close();
    }
  });
});

import { Server, Socket, createServer } from 'node:net';
import { inProcessConfig } from '@tsunagu/config';
import { TEST_REDIS_URL, createTestRedisPrefix } from '@tsunagu/testing';
import { BUCKET_TIMEOUT_MS, BucketUnavailable, TokenBucket } from './token-bucket';

/** A TCP peer that takes connections and never answers: Redis hung, or a half-open connection. */
async function silentPeer(): Promise<{ url: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}`, server, sockets };
}

describe('TokenBucket on a real Redis', () => {
  const keys = createTestRedisPrefix('bucket');
  afterAll(() => keys.cleanup());

  it('takes units up to one second of the rate, then says how long until more refill', async () => {
    const bucket = new TokenBucket(inProcessConfig({ redisUrl: TEST_REDIS_URL, redisPrefix: keys.prefix }));
    try {
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) waits.push(await bucket.take('route-a', 5));
      expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
      expect(waits[5]).toBeGreaterThan(0);
      expect(waits[5]).toBeLessThanOrEqual(200); // one unit at 5/s refills in 200 ms
      // Buckets are separate: another route still has its whole second.
      expect(await bucket.take('route-b', 5, 5)).toBe(0);
    } finally {
      bucket.onModuleDestroy();
    }
  });

  it('gives up on a Redis that does not answer, within its bound, instead of holding the caller', async () => {
    const peer = await silentPeer();
    const bucket = new TokenBucket(inProcessConfig({ redisUrl: peer.url, redisPrefix: keys.prefix }));
    try {
      const started = Date.now();
      const err = await bucket.take('route-a', 5).catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(err).toBeInstanceOf(BucketUnavailable);
      expect((err as BucketUnavailable).bucket).toBe('route-a');
      expect(waited).toBeGreaterThanOrEqual(BUCKET_TIMEOUT_MS - 5);
      expect(waited).toBeLessThan(BUCKET_TIMEOUT_MS + 1000);
    } finally {
      bucket.onModuleDestroy();
      for (const s of peer.sockets) s.destroy();
      await new Promise((r) => peer.server.close(r));
    }
  });

  it('gives up on a Redis that is not there at all (the client queues while it reconnects)', async () => {
    const peer = await silentPeer();
    const url = peer.url;
    await new Promise((r) => peer.server.close(r)); // nothing listens on the port now
    const bucket = new TokenBucket(inProcessConfig({ redisUrl: url, redisPrefix: keys.prefix }));
    try {
      await expect(bucket.take('route-a', 5, 1, 100)).rejects.toBeInstanceOf(BucketUnavailable);
    } finally {
      bucket.onModuleDestroy();
    }
  });
});

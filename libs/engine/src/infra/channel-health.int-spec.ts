import { ChannelAdapterInstance, ChannelRegistry } from '@tsunagu/channels';
import { inProcessConfig } from '@tsunagu/config';
import { createTestRedisPrefix, expectEventually, TEST_REDIS_URL } from '@tsunagu/testing';
import { ChannelHealthService } from './channel-health.service';
import { EngineRedis } from './engine-redis';

/** Only what health asks of an adapter; the rest of the interface is not reached here. */
function adapter(channel: string, up: boolean): ChannelAdapterInstance {
  return { channel, health: async () => ({ up, detail: { binds: up ? 1 : 0 } }) } as unknown as ChannelAdapterInstance;
}

describe('ChannelHealthService over real Redis: a worker publishes, the api reads', () => {
  const keys = createTestRedisPrefix('health');
  afterAll(() => keys.cleanup());

  it("reads the worker's report, and a worker that stops cleanly withdraws it at once (not after its TTL)", async () => {
    const config = inProcessConfig({ redisUrl: TEST_REDIS_URL, redisPrefix: keys.prefix });
    const [workerRedis, apiRedis] = [new EngineRedis(config), new EngineRedis(config)];
    const worker = new ChannelHealthService(ChannelRegistry.of([adapter('sms', true)]), config, workerRedis);
    // The api's own adapter says down: what it answers while a worker reports comes from that report.
    const api = new ChannelHealthService(ChannelRegistry.of([adapter('sms', false)]), config, apiRedis);
    try {
      worker.startPublishing();
      const reported = await expectEventually(async () => {
        const all = await api.all();
        expect(all.sms.workers).toBe(1);
        return all.sms;
      });
      expect(reported.up).toBe(true);
      await worker.onModuleDestroy();
      const after = await api.all();
      expect([after.sms.up, after.sms.workers, after.sms.detail.note]).toEqual([false, 0, 'no worker has reported']);
      // Stopping twice (Nest's hook, then a test's close) withdraws nothing twice and does not throw.
      await worker.onModuleDestroy();
    } finally {
      workerRedis.onApplicationShutdown();
      apiRedis.onApplicationShutdown();
    }
  });
});

import { EngineHarness, startEngine } from './support/engine-harness';

/** Readiness follows the dependencies; liveness does not (so an orchestrator does not restart a healthy process). */
describe('health', () => {
  let up: EngineHarness;
  let redisDown: EngineHarness;

  beforeAll(async () => {
    up = await startEngine({ label: 'health', startWorker: false });
    redisDown = await startEngine({ label: 'healthdown', startWorker: false, config: { redisUrl: 'redis://127.0.0.1:1' } });
  });
  afterAll(async () => {
    await up?.close();
    await redisDown?.close();
  });

  it('is ready and live when PostgreSQL and Redis answer', async () => {
    const ready = await fetch(`${up.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; details: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.details.postgres.status).toBe('up');
    expect(body.details.redis.status).toBe('up');
  });

  it('is not ready while Redis is down, and still live', async () => {
    const ready = await fetch(`${redisDown.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(body.details.redis.status).toBe('down');
    expect(body.details.postgres.status).toBe('up');
    expect((await fetch(`${redisDown.baseUrl}/health/live`)).status).toBe(200);
  });
});

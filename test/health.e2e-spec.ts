import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

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

  it('keeps /health and /metrics for operators: the ops token as a bearer, compared whole; the probes need none', async () => {
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const token = up.config.http.opsToken!;
    for (const path of ['/health', '/metrics']) {
      for (const init of [{}, bearer('wrong-token-of-some-length-000'), bearer(token.slice(0, -1)), bearer(`${token}x`), { headers: { authorization: token } }]) {
        const res = await fetch(`${up.baseUrl}${path}`, init);
        expect([path, res.status]).toEqual([path, 401]);
        const body = (await res.json()) as { code: string; message: string };
        expect(body.code).toBe('UNAUTHENTICATED');
        expect(body.message).toContain('TSUNAGU_OPS_TOKEN');
      }
    }
    const health = await fetch(`${up.baseUrl}/health`, bearer(token));
    expect(health.status).toBe(200);
    expect(((await health.json()) as { details: Record<string, unknown> }).details).toHaveProperty('channels');
    for (const path of ['/health/live', '/health/ready']) expect([path, (await fetch(`${up.baseUrl}${path}`)).status]).toEqual([path, 200]);
  });

  it('answers 403 on /health, /metrics and the operators\' /ops while no ops or operator token is configured', async () => {
    const closed = await startEngine({ label: 'healthclosed', startWorker: false, config: { http: { ...up.config.http, opsToken: undefined, operatorToken: undefined } } });
    try {
      for (const path of ['/health', '/metrics', '/ops/senders']) {
        const res = await fetch(`${closed.baseUrl}${path}`, { headers: { authorization: 'Bearer anything-at-all-of-some-length' } });
        expect([path, res.status, ((await res.json()) as { code: string }).code]).toEqual([path, 403, 'FORBIDDEN']);
      }
      expect((await fetch(`${closed.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('serves Prometheus metrics: queue depths, timers, open messages and the last day\'s attempts from the real stores', async () => {
    const res = await post(up, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'お知らせ：計測の確認' }, { 'idempotency-key': 'metrics-1' });
    expect(res.status).toBe(202);
    const metrics = await fetch(`${up.baseUrl}/metrics`, { headers: { authorization: `Bearer ${up.config.http.opsToken}` } });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    // No worker runs here, so the accepted message waits, due now, in PostgreSQL.
    expect(text).toMatch(/^tsunagu_messages_open\{status="accepted"\} 1$/m);
    expect(text).toMatch(/^tsunagu_timers\{state="due"\} 1$/m);
    expect(text).toMatch(/^tsunagu_queue_jobs\{queue="callback",state="waiting"\} \d+$/m);
    expect(text).toMatch(/^tsunagu_process_cpu_seconds_total /m);
    // A tenant is named only where the operator needs to know whose it is (whose CRM is refusing
    // callbacks), by its opaque id, never by name.
    expect(text.split('\n').filter((l) => l.includes(up.tenantId))).toEqual([`tsunagu_callbacks_failed{tenant="${up.tenantId}"} 0`]);
  });
});

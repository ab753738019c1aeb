import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

/** Route throughput is shared by all workers through Redis and counts segments, not messages. */
describe('SMS throughput: per-route limit and throttling storms, through the engine', () => {
  let s: Sandboxes;
  let h: EngineHarness;
  const PER_SECOND = 20;

  beforeAll(async () => {
    s = await startSandboxes({ receiptDelayMs: 20 });
    h = await startEngine({
      label: 'smsrate',
      realChannels: (tenantId) => sandboxChannelSettings(s, tenantId, { smsRoute: { throughputPerSecond: PER_SECOND } }),
      rbmSandbox: s.rbm.control,
    });
    await s.wire(h.baseUrl);
  });
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  async function sendMany(count: number, text: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text, channels: ['sms'] }, { 'idempotency-key': `rate-${Date.now()}-${i}-${Math.random()}` });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    return ids;
  }

  async function allDelivered(ids: string[]): Promise<void> {
    await expectEventually(
      async () => {
        const rows = await h.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM messages WHERE id = ANY($1) GROUP BY status`, [ids]);
        expect(rows).toEqual([{ status: 'delivered', n: ids.length }]);
      },
      { timeoutMs: 30000 },
    );
  }

  it('keeps submits under the route limit, counting a 3-part message as 3', async () => {
    const before = s.smsc.control.submitCount();
    const ids = [...(await sendMany(40, 'お知らせです')), ...(await sendMany(10, 'あ'.repeat(150)))]; // 10 × 3 segments
    await allDelivered(ids);
    const submits = s.smsc.control.records().slice(-(s.smsc.control.submitCount() - before));
    expect(submits).toHaveLength(40 + 30);
    const times = submits.map((r) => new Date(r.receivedAt).getTime()).sort((a, b) => a - b);
    // A full bucket allows one second's worth at once, then PER_SECOND a second: any 1 s window holds at most 2×.
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(2 * PER_SECOND);
    }
    expect(times.at(-1)! - times[0]).toBeGreaterThanOrEqual(((70 - PER_SECOND) / PER_SECOND) * 1000 * 0.9);
  });

  it('rides out a throttling storm (0x58): every message is delivered, none fails for throttling', async () => {
    s.smsc.control.fail({ mode: 'throttle', durationMs: 1500 } as never);
    const ids = await sendMany(10, '混雑時のお知らせ');
    await allDelivered(ids);
    const retried = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'attempt.status' AND status = 'pending' AND reason = 'throttled'`);
    expect(retried[0].n).toBeGreaterThan(0);
    const failed = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM attempts WHERE status = 'failed'`);
    expect(failed[0].n).toBe(0);
  });
});

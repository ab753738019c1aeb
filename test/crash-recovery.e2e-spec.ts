import IORedis from 'ioredis';
import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

/** Deletes every key of this harness's prefix: what FLUSHALL does to it, without touching other test files. */
async function wipeRedis(h: EngineHarness): Promise<number> {
  const redis = new IORedis(h.config.redisUrl);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${h.config.redisPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

describe('crash recovery: nothing accepted is lost', () => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngine({ label: 'crash', startWorker: false, config: { worker: { concurrency: 10, reconcileIntervalMs: 300 } } });
  });
  afterAll(async () => h?.close());

  it('every accepted message ends terminal after the api died before enqueueing and Redis was wiped twice', async () => {
    const ids: string[] = [];
    const slow = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const phone = mobile();
      // Half wait on an RCS timer that Redis will lose; half deliver at once.
      if (i % 2 === 0) {
        h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
        slow.add(phone);
      }
      const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: `crash ${i}` }, { 'idempotency-key': `crash-${i}` });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    // The api has committed; no job exists anywhere but in the outbox table (the api never enqueues).
    const outbox = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`);
    expect(outbox[0].n).toBe(20);
    await wipeRedis(h);

    await h.startWorker();
    // Wait until the slow half are waiting on their RCS fallback timers, then lose Redis again.
    await expectEventually(async () => {
      const rows = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM attempts WHERE channel = 'rcs' AND status = 'sent'`);
      expect(rows[0].n).toBe(slow.size);
    });
    expect(await wipeRedis(h)).toBeGreaterThan(0);

    const final = await expectEventually(
      async () => {
        const rows = await h.query<{ status: string; channel: string | null; n: number }>(
          `SELECT status, channel, count(*)::int AS n FROM messages WHERE id = ANY($1) GROUP BY status, channel ORDER BY channel`,
          [ids],
        );
        expect(rows.reduce((s, r) => s + r.n, 0)).toBe(20);
        expect(rows.every((r) => r.status === 'delivered')).toBe(true);
        return rows;
      },
      { timeoutMs: 30000 },
    );
    expect(final).toEqual([
      { status: 'delivered', channel: 'rcs', n: 10 },
      { status: 'delivered', channel: 'sms', n: 10 },
    ]);
    // One attempt, one send: no attempt reached a provider twice.
    const sent = [...h.providers.rcs.sent, ...h.providers.sms.sent].map((s) => s.attemptId);
    expect(new Set(sent).size).toBe(sent.length);
  });
});

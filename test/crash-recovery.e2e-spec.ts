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
    h = await startEngine({ label: 'crash', startWorker: false, config: { worker: { concurrency: 10, dispatchConcurrency: 10, sendConcurrency: 10, directSends: 32, reconcileIntervalMs: 300, duePollMs: 50 } } });
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
    // The api has committed and enqueued nothing: each message row is its own job, due now.
    const due = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND due_at <= now()`, [ids]);
    expect(due[0].n).toBe(20);
    const outbox = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`);
    expect(outbox[0].n).toBe(0);
    await wipeRedis(h);

    await h.startWorker();
    // Wait until the slow half are waiting on their RCS fallback timers (held in PostgreSQL, due_at
    // at the deadline), then lose Redis again: the timers must fire all the same.
    await expectEventually(async () => {
      const rows = await h.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM attempts a JOIN messages m ON m.id = a.message_id
         WHERE a.channel = 'rcs' AND a.status = 'sent' AND m.due_at = a.deadline_at`,
      );
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
    // The timers were never in Redis, so losing Redis did not delay them: each fallback started
    // within moments of its deadline (re-creating lost timers from PostgreSQL took seconds).
    const late = await h.query<{ ms: number }>(
      `SELECT max(extract(epoch FROM (n.created_at - p.deadline_at)) * 1000)::float AS ms
       FROM attempts p JOIN attempts n ON n.message_id = p.message_id AND n.seq = 2 WHERE p.seq = 1 AND p.message_id = ANY($1)`,
      [ids],
    );
    expect(late[0].ms).toBeGreaterThanOrEqual(0);
    expect(late[0].ms).toBeLessThan(2000);
    // One attempt, one send: no attempt reached a provider twice.
    const sent = [...h.providers.rcs.sent, ...h.providers.sms.sent].map((s) => s.attemptId);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('a message leased by a worker that died is left alone until the lease lapses, then taken by another', async () => {
    await h.stopWorker();
    const phone = mobile();
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'lease' }, { 'idempotency-key': `lease-${phone}` });
    expect(res.status).toBe(202);
    // What a dispatcher's claim leaves behind when its process is killed before running the message.
    await h.query(`UPDATE messages SET due_at = now() + interval '2 seconds' WHERE id = $1`, [res.body.id]);
    const leasedAt = Date.now();
    await h.startWorker();
    await new Promise((r) => setTimeout(r, 1000));
    const during = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [res.body.id]);
    expect(during[0].status).toBe('accepted');
    await expectEventually(async () => {
      const rows = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [res.body.id]);
      expect(rows[0].status).toBe('delivered');
    });
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(2000);
  });
});

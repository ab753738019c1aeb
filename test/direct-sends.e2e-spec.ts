import IORedis from 'ioredis';
import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

/**
 * Direct sends: a decision's new attempt is claimed (`submitting`) in the decision's own
 * transaction and submitted by that worker right after the commit — no outbox row, relay or
 * BullMQ job. What cannot go at once goes by the send queue, and a send whose worker died
 * mid-call is settled by the reconciler, never resubmitted as SMS.
 */
describe('direct sends (api + worker, scripted channels, real PostgreSQL and Redis)', () => {
  let h: EngineHarness;
  let redis: IORedis;

  beforeAll(async () => {
    // One direct slot, so a slow send makes the next decisions take the queue.
    h = await startEngine({ label: 'direct', config: { worker: { concurrency: 10, dispatchConcurrency: 10, sendConcurrency: 10, directSends: 1, reconcileIntervalMs: 300, duePollMs: 50 } } });
    redis = new IORedis(h.config.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  async function send(phone: string): Promise<string> {
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'ご予約は明日です' }, { 'idempotency-key': `d-${phone}-${Math.random()}` });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  async function attemptOf(messageId: string, channel: string) {
    return expectEventually(async () => {
      const rows = await h.query<{ id: string; status: string; reason: string | null; retries: number }>(
        `SELECT id, status, reason, retries FROM attempts WHERE message_id = $1 AND channel = $2`,
        [messageId, channel],
      );
      expect(rows).toHaveLength(1);
      return rows[0];
    });
  }

  async function delivered(messageId: string): Promise<void> {
    await expectEventually(
      async () => {
        const rows = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [messageId]);
        expect(rows[0].status).toBe('delivered');
      },
      { timeoutMs: 15000 },
    );
  }

  /** The attempt ids BullMQ was ever given a send job for, from the queue's own event stream. */
  async function queuedAttempts(channel: string): Promise<Set<string>> {
    const entries = await redis.xrange(`${h.config.redisPrefix}:send-${channel}:events`, '-', '+');
    const ids = new Set<string>();
    for (const [, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      if (f.event === 'added' && f.jobId?.startsWith('send-')) ids.add(f.jobId.slice('send-'.length));
    }
    return ids;
  }

  async function attemptEvents(attemptId: string) {
    return h.query<{ status: string; reason: string | null; tx: string }>(
      `SELECT status, reason, xmin::text AS tx FROM events WHERE attempt_id = $1 AND type = 'attempt.status' ORDER BY created_at, id`,
      [attemptId],
    );
  }

  it('claims the new attempt in the decision transaction and sends it with no job', async () => {
    const phone = mobile();
    const id = await send(phone);
    await delivered(id);
    const attempt = await attemptOf(id, 'rcs');
    const events = await attemptEvents(attempt.id);
    expect(events.map((e) => e.status)).toEqual(['pending', 'submitting', 'sent', 'delivered']);
    // pending and submitting were committed together, with the decision that chose the channel.
    const decision = await h.query<{ tx: string }>(`SELECT xmin::text AS tx FROM decisions WHERE message_id = $1 AND kind = 'channel'`, [id]);
    expect(events[1].tx).toBe(events[0].tx);
    expect(decision[0].tx).toBe(events[0].tx);
    expect(h.providers.rcs.sent.filter((s) => s.attemptId === attempt.id)).toHaveLength(1);
    expect((await queuedAttempts('rcs')).has(attempt.id)).toBe(false);
    expect((await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`))[0].n).toBe(0);
  });

  it('sends by the queue while the direct slots are busy, each attempt exactly once', async () => {
    const phones = Array.from({ length: 8 }, () => mobile());
    for (const p of phones) h.providers.rcs.script(p, { send: 'accept', holdMs: 400 });
    const ids = await Promise.all(phones.map((p) => send(p)));
    for (const id of ids) await delivered(id);
    const attempts = await Promise.all(ids.map((id) => attemptOf(id, 'rcs')));
    const queued = await queuedAttempts('rcs');
    const byQueue = attempts.filter((a) => queued.has(a.id)).length;
    expect(byQueue).toBeGreaterThan(0);
    expect(byQueue).toBeLessThan(attempts.length);
    for (const a of attempts) {
      expect(h.providers.rcs.sent.filter((s) => s.attemptId === a.id)).toHaveLength(1);
      const statuses = (await attemptEvents(a.id)).map((e) => e.status);
      expect(statuses).toEqual(['pending', 'submitting', 'sent', 'delivered']);
    }
  });

  it('retries a direct send that failed retryably through the queue, after a backoff', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'retryable', times: 1 });
    const id = await send(phone);
    await delivered(id);
    const attempt = await attemptOf(id, 'rcs');
    expect(attempt.retries).toBe(1);
    const events = await attemptEvents(attempt.id);
    expect(events.map((e) => `${e.status}${e.reason ? `:${e.reason}` : ''}`)).toEqual([
      'pending',
      'submitting',
      'pending:scripted_retryable',
      'submitting',
      'sent',
      'delivered',
    ]);
    expect(events[1].tx).toBe(events[0].tx); // the first try went direct
    expect((await queuedAttempts('rcs')).has(attempt.id)).toBe(true);
    expect(h.providers.rcs.sent.filter((s) => s.attemptId === attempt.id)).toHaveLength(1);
  });

  it('leaves a submitting SMS alone while its call may be in flight, then settles it as unknown, never resubmitted', async () => {
    const phone = mobile();
    h.providers.rcs.reachable.set(phone, false);
    h.providers.sms.script(phone, { send: 'accept', then: 'none' });
    h.providers.line.script(phone, { send: 'accept', then: 'deliver' });
    const id = await send(phone);
    const sms = await expectEventually(async () => {
      const a = await attemptOf(id, 'sms');
      expect(a.status).toBe('sent');
      return a;
    });
    // As a worker killed mid-call leaves it: submitting, the call's outcome unknown.
    await h.query(`UPDATE attempts SET status = 'submitting', updated_at = now() - interval '45 seconds' WHERE id = $1`, [sms.id]);
    await new Promise((r) => setTimeout(r, 1500)); // five reconcile intervals
    expect((await attemptOf(id, 'sms')).status).toBe('submitting');

    await h.query(`UPDATE attempts SET updated_at = now() - interval '61 seconds' WHERE id = $1`, [sms.id]);
    const settled = await expectEventually(async () => {
      const a = await attemptOf(id, 'sms');
      expect(a.status).toBe('unknown');
      return a;
    });
    expect(settled.reason).toBe('submit_interrupted');
    expect(h.providers.sms.sent.filter((s) => s.attemptId === sms.id)).toHaveLength(1);
  });
});

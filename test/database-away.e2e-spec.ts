import { Client } from 'pg';
import { policyDefaultsSchema } from '@tsunagu/config';
import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';
import { startTcpProxy } from './support/tcp-proxy';

/**
 * PostgreSQL goes away while a provider call is in flight. The provider's answer is in hand and
 * must not be dropped: the worker records it once the database is back, so the SMS reads `sent`
 * (then `delivered`) instead of being settled `unknown` a minute later, and it is sent once.
 * A fallback cut short the same way fires once the database is back, and the api answers a
 * retryable 503 meanwhile.
 */
describe('database away during a send (api + worker through a TCP proxy to real PostgreSQL)', () => {
  let h: EngineHarness;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let direct: Client;

  beforeAll(async () => {
    proxy = await startTcpProxy('127.0.0.1', 5432);
    h = await startEngine({
      label: 'dbaway',
      databaseVia: (url) => url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`),
      config: { policy: policyDefaultsSchema.parse({ timeouts: { rcs: 2, sms: 60, line: 60 } }) },
    });
    expect(h.config.databaseUrl).toContain(`:${proxy.port}/`);
    // The test reads the database directly: the engine's own path is the one being cut.
    direct = new Client({ connectionString: h.db.url });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    proxy?.restore();
    await h?.close();
    await proxy?.close();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function attempts(messageId: string): Promise<{ id: string; channel: string; status: string; created_at: Date }[]> {
    const { rows } = await direct.query(`SELECT id, channel, status, created_at FROM attempts WHERE message_id = $1 ORDER BY seq`, [messageId]);
    return rows;
  }

  async function smsAttempt(messageId: string): Promise<{ id: string; status: string; provider_message_id: string | null }> {
    const { rows } = await direct.query(`SELECT id, status, provider_message_id FROM attempts WHERE message_id = $1 AND channel = 'sms'`, [messageId]);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  it('records the provider answer once PostgreSQL is back, sent once and delivered', async () => {
    const phone = mobile();
    h.providers.rcs.reachable.set(phone, false);
    // The call takes 1.5 s; the report comes 4 s after it returns, when the database is back.
    h.providers.sms.script(phone, { send: 'accept', holdMs: 1500, then: 'deliver', afterMs: 4000 });
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'お振込を受け付けました' }, { 'idempotency-key': `away-${phone}` });
    expect(res.status).toBe(202);
    const id = res.body.id as string;

    const claimed = await expectEventually(async () => {
      const a = await smsAttempt(id);
      expect(a.status).toBe('submitting');
      return a;
    }, { intervalMs: 20 });
    proxy.cut(); // the engine's connections drop and new ones are refused, while the call is held
    await new Promise((r) => setTimeout(r, 3000));
    expect(h.providers.sms.sent.filter((s) => s.attemptId === claimed.id)).toHaveLength(1);
    expect((await smsAttempt(id)).status).toBe('submitting'); // nothing could be recorded yet
    proxy.restore();

    await expectEventually(
      async () => {
        const { rows } = await direct.query(`SELECT status FROM messages WHERE id = $1`, [id]);
        expect(rows[0].status).toBe('delivered');
      },
      { timeoutMs: 20_000 },
    );
    const { rows: events } = await direct.query(`SELECT status FROM events WHERE attempt_id = $1 AND type = 'attempt.status' ORDER BY created_at, id`, [claimed.id]);
    expect(events.map((e: { status: string }) => e.status)).toEqual(['pending', 'submitting', 'sent', 'delivered']);
    expect((await smsAttempt(id)).provider_message_id).toMatch(/^p-/);
    expect(h.providers.sms.sent.filter((s) => s.attemptId === claimed.id)).toHaveLength(1);
    const { rows: anomalies } = await direct.query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1 AND anomaly`, [id]);
    expect(anomalies[0].n).toBe(0);
  });

  it('a fallback whose decision the restart cut short fires once PostgreSQL is back, not when its lease lapses', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' }); // RCS never reports: its deadline (2 s) passes
    h.providers.rcs.cancelHolds.set(phone, 1500);
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'ご予約の確認です' }, { 'idempotency-key': `away-fallback-${phone}` });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const rcs = await expectEventually(async () => {
      const [first] = await attempts(id);
      expect(first).toMatchObject({ channel: 'rcs', status: 'sent' });
      return first;
    });
    // At the deadline the dispatcher leases the message (10 s) and asks for the withdrawal with no
    // lock held; the database goes away before the answer can be recorded with the fallback.
    await expectEventually(() => expect(h.providers.rcs.cancelsStarted).toContain(rcs.id), { intervalMs: 10 });
    proxy.cut();
    await sleep(2500);
    expect(await attempts(id)).toHaveLength(1);
    proxy.restore();
    const restoredAt = Date.now();

    // Within the lease the old behaviour waited out (at least 7 s from here), by a wide margin.
    const sms = await expectEventually(
      async () => {
        const list = await attempts(id);
        expect(list.map((a) => a.channel)).toEqual(['rcs', 'sms']);
        return list[1];
      },
      { timeoutMs: 5000 },
    );
    expect(Date.now() - restoredAt).toBeLessThan(5000);
    expect(sms.created_at.getTime()).toBeGreaterThanOrEqual(restoredAt - 1000);
    await expectEventually(async () => {
      const { rows } = await direct.query(`SELECT status FROM messages WHERE id = $1`, [id]);
      expect(rows[0].status).toBe('delivered');
    });
    expect((await attempts(id))[0].status).toBe('revoked');
    expect(h.providers.rcs.sent.filter((s) => s.phone === phone)).toHaveLength(1);
    expect(h.providers.sms.sent.filter((s) => s.phone === phone)).toHaveLength(1);
  });

  it('answers 503 UNAVAILABLE with Retry-After while PostgreSQL is unreachable; the same key is accepted once it is back', async () => {
    const phone = mobile();
    h.providers.rcs.reachable.set(phone, false);
    const body = { to: { phone }, category: 'transactional', text: 'ご注文を承りました' };
    const key = { 'idempotency-key': `away-api-${phone}` };
    proxy.cut();
    try {
      const refused = await post(h, '/v1/messages', body, key);
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('UNAVAILABLE');
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      proxy.restore();
    }
    const accepted = await expectEventually(async () => {
      const r = await post(h, '/v1/messages', body, key);
      expect(r.status).toBe(202);
      return r;
    });
    const { rows: keyed } = await direct.query(`SELECT message_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [h.tenantId, key['idempotency-key']]);
    expect(keyed.map((r: { message_id: string }) => r.message_id)).toEqual([accepted.body.id]);
    const { rows: toContact } = await direct.query(
      `SELECT count(*)::int AS n FROM messages WHERE contact_id = (SELECT contact_id FROM messages WHERE id = $1)`,
      [accepted.body.id],
    );
    expect(toContact[0].n).toBe(1);
  });
});

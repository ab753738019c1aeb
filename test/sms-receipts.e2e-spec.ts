import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

/** Delivery receipts through the engine, as carriers really send them: early, repeated, multipart, broken. */
describe('SMS receipts through the engine', () => {
  let s: Sandboxes;
  let h: EngineHarness;
  let n = 0;

  beforeAll(async () => {
    s = await startSandboxes({ receiptDelayMs: 30 });
    h = await startEngine({ label: 'receipts', realChannels: (tenantId) => sandboxChannelSettings(s, tenantId) });
    await s.wire(h.baseUrl);
  });
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  async function sms(text: string, phone = mobile()) {
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text, channels: ['sms'] }, { 'idempotency-key': `r-${++n}-${Date.now()}` });
    expect(res.status).toBe(202);
    return { id: res.body.id as string, phone };
  }
  async function final(id: string) {
    return expectEventually(
      async () => {
        const m = (await get(h, `/v1/messages/${id}`)).body;
        expect(['delivered', 'failed', 'expired']).toContain(m.status);
        return m;
      },
      { timeoutMs: 15000 },
    );
  }

  /** How many receipts were parked while `run` ran: a trigger logs every insert into `parked_events` (they are deleted once applied). */
  async function countingParks(run: () => Promise<void>): Promise<number> {
    await h.query(`CREATE TABLE parked_log (at timestamptz NOT NULL DEFAULT now())`);
    await h.query(`CREATE FUNCTION log_park() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO parked_log DEFAULT VALUES; RETURN NEW; END $$`);
    await h.query(`CREATE TRIGGER log_park AFTER INSERT ON parked_events FOR EACH ROW EXECUTE FUNCTION log_park()`);
    try {
      await run();
      return (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM parked_log`))[0].n;
    } finally {
      await h.query(`DROP TRIGGER log_park ON parked_events; DROP FUNCTION log_park(); DROP TABLE parked_log`);
    }
  }

  it('a receipt that arrives while its submit response is being recorded waits for that commit, not parked', async () => {
    // The `sent` update is held 300 ms inside PostgreSQL; the receipt comes 30 ms after the submit.
    await h.query(`CREATE FUNCTION slow_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$`);
    await h.query(`CREATE TRIGGER slow_sent BEFORE UPDATE ON attempts FOR EACH ROW WHEN (NEW.status = 'sent' AND OLD.status = 'submitting') EXECUTE FUNCTION slow_sent()`);
    try {
      const parked = await countingParks(async () => {
        const { id } = await sms('記録中の配信通知');
        const m = await final(id);
        expect(m.status).toBe('delivered');
        expect(m.attempts[0]).toMatchObject({ channel: 'sms', status: 'delivered' });
        const sent = m.events.find((e: { type: string; status: string }) => e.type === 'attempt.status' && e.status === 'sent');
        const receipt = m.events.find((e: { type: string }) => e.type === 'provider.delivered');
        expect(sent && receipt).toBeTruthy();
      });
      expect(parked).toBe(0);
    } finally {
      await h.query(`DROP TRIGGER slow_sent ON attempts; DROP FUNCTION slow_sent()`);
    }
  });

  it('a receipt read in the same socket read as its submit_sm_resp is applied without parking', async () => {
    s.smsc.control.fail({ mode: 'receipt_with_resp', durationMs: 3000 });
    try {
      const parked = await countingParks(async () => {
        const sent = await Promise.all(Array.from({ length: 5 }, (_, i) => sms(`同時の配信通知 ${i}`)));
        for (const { id } of sent) expect((await final(id)).status).toBe('delivered');
      });
      expect(parked).toBe(0);
    } finally {
      s.smsc.control.reset();
    }
  });

  it('a receipt that arrives before its submit_sm_resp is parked and applied: delivered', async () => {
    s.smsc.control.fail({ mode: 'early_receipt', durationMs: 3000 });
    const { id } = await sms('早着の配信通知');
    const m = await final(id);
    expect(m.status).toBe('delivered');
    const parked = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM parked_events`);
    expect(parked[0].n).toBe(0);
  });

  it('duplicated receipts (×3) make one delivered event', async () => {
    s.smsc.control.fail({ mode: 'duplicate_receipts', durationMs: 3000, count: 3 });
    const { id } = await sms('重複した配信通知');
    const m = await final(id);
    expect(m.status).toBe('delivered');
    const delivered = m.events.filter((e: { type: string; status: string }) => e.type === 'provider.delivered');
    expect(delivered).toHaveLength(1);
  });

  it('a 3-part message is delivered only when every part’s receipt says so, and fails when one part fails', async () => {
    const long = 'お知らせ'.repeat(40); // 160 UCS-2 characters → 3 segments
    const { id } = await sms(long);
    const m = await final(id);
    expect(m.status).toBe('delivered');
    const parts = await h.query<{ status: string }>(`SELECT p.status FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id WHERE a.message_id = $1`, [id]);
    expect(parts.map((p) => p.status)).toEqual(['delivered', 'delivered', 'delivered']);

    const phone = mobile();
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const failed = await final((await sms(long, phone)).id);
    expect(failed.status).toBe('failed');
    expect(failed.attempts[0]).toMatchObject({ channel: 'sms', status: 'failed', reason: 'undeliverable' });
  });

  it('a malformed receipt is answered, kept as unparsed for operators, and changes nothing', async () => {
    s.smsc.control.fail({ mode: 'malformed_receipts', durationMs: 1500 });
    const { id } = await sms('壊れた配信通知');
    await expectEventually(async () => {
      const rows = await h.query<{ channel: string; reason: string }>(`SELECT channel, reason FROM unparsed_inbound WHERE channel = 'sms'`);
      expect(rows.length).toBeGreaterThan(0);
    });
    // Accepted by the SMSC, and the unreadable receipt moved nothing: no delivered, no failed event.
    const m = await expectEventually(async () => {
      const body = (await get(h, `/v1/messages/${id}`)).body;
      expect(body.attempts[0].status).toBe('sent');
      return body;
    });
    expect(m.events.filter((e: { type: string }) => e.type.startsWith('provider.'))).toEqual([]);
    // The bind lives in the worker, which reports it; the api's /health shows it, still bound.
    await expectEventually(async () => {
      const health = await fetch(`${h.baseUrl}/health`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } }).then((r) => r.json() as Promise<{ details: { channels: { sms: { up: boolean; workers: number } } } }>);
      expect(health.details.channels.sms).toMatchObject({ up: true, workers: 1 });
    });
  });
});

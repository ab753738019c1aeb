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
    h = await startEngine({ label: 'receipts', realChannels: (tenantId) => sandboxChannelSettings(s, tenantId), rbmSandbox: s.rbm.control });
    await s.wire(h.baseUrl);
  });
  // A failure mode lasts its duration past the test that set it: each test starts with a plain SMSC.
  beforeEach(() => s.smsc.control.reset());
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  async function sms(text: string, phone = mobile(), extra: Record<string, unknown> = {}) {
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text, channels: ['sms'], ...extra }, { 'idempotency-key': `r-${++n}-${Date.now()}` });
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
  type View = { status: string; attempts: { status: string; reason: string | null }[]; events: { type: string; status: string; reason: string | null; anomaly: boolean }[] };
  const view = async (id: string): Promise<View> => (await get(h, `/v1/messages/${id}`)).body;
  const yymmddhhmm = (d: Date) => d.toISOString().replace(/\D/g, '').slice(2, 12);
  /** A receipt for the SMSC's id of `phone`'s one submit, as an SMSC writes it: Appendix B text (and the TLVs, unless `textOnly`). */
  function receiptFor(phone: string, stat: string, opts: { state?: number; dates?: string } = {}) {
    const [submit] = s.smsc.control.submitsTo(phone);
    const dates = opts.dates ?? `submit date:${yymmddhhmm(new Date(submit.receivedAt))} done date:${yymmddhhmm(new Date())}`;
    return {
      source_addr_ton: 1,
      source_addr: submit.destination,
      destination_addr: submit.source,
      short_message: Buffer.from(`id:${submit.messageId} sub:001 dlvrd:000 ${dates} stat:${stat} err:000 text:`, 'ascii'),
      ...(opts.state ? { receipted_message_id: submit.messageId, message_state: opts.state } : {}),
    };
  }

  it.each([
    ['UNDELIV after DELIVRD', 'UNDELIV', 5, 'provider.failed', 'delivered_then_failed'],
    ['ENROUTE after DELIVRD', 'ENROUTE', 1, 'provider.accepted', 'delivered_then_sent'],
  ])('%s: the first final status wins, the later receipt is one anomaly, one event however often it comes (BAD-INPUTS 41)', async (_name, stat, state, eventType, anomaly) => {
    const { id, phone } = await sms('あとから矛盾する配信通知');
    expect((await final(id)).status).toBe('delivered');
    // The contradicting receipt, twice: the ESME answers ESME_ROK each time (or the SMSC would resend it forever).
    expect((await s.smsc.control.injectDeliver(receiptFor(phone, stat, { state }))).status).toBe(0);
    expect((await s.smsc.control.injectDeliver(receiptFor(phone, stat, { state }))).status).toBe(0);
    const m = await expectEventually(async () => {
      const body = await view(id);
      expect(body.events.filter((e) => e.anomaly)).toHaveLength(1);
      return body;
    });
    expect(m.status).toBe('delivered');
    expect(m.attempts).toEqual([expect.objectContaining({ status: 'delivered' })]);
    expect(m.events.filter((e) => e.type === 'provider.delivered')).toHaveLength(1);
    expect(m.events.filter((e) => e.type === eventType)).toHaveLength(1);
    expect(m.events.filter((e) => e.anomaly)).toEqual([expect.objectContaining({ type: 'attempt.anomaly', reason: anomaly })]);
    expect(m.events.filter((e) => e.type === 'attempt.status' && e.status !== 'delivered').map((e) => e.status)).toEqual(['pending', 'submitting', 'sent']);
  });

  it('a receipt whose dates are not dates (2913301261) is answered, kept as unparsed, and changes nothing (BAD-INPUTS 38)', async () => {
    const phone = mobile();
    s.smsc.control.script(phone.slice(1), 'no_receipt');
    const { id } = await sms('日付の壊れた配信通知', phone, { timeouts: { sms: 60 } });
    await expectEventually(async () => expect((await view(id)).attempts[0]?.status).toBe('sent'));
    const unparsedBefore = (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM unparsed_inbound WHERE channel = 'sms' AND reason = 'invalid_date'`))[0].n;

    expect((await s.smsc.control.injectDeliver(receiptFor(phone, 'DELIVRD', { dates: 'submit date:2913301261 done date:2913301261' }))).status).toBe(0);
    await expectEventually(async () => {
      const rows = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM unparsed_inbound WHERE channel = 'sms' AND reason = 'invalid_date'`);
      expect(rows[0].n).toBe(unparsedBefore + 1);
    });
    const m = await view(id);
    expect(m.attempts[0].status).toBe('sent');
    expect(m.events.filter((e) => e.type.startsWith('provider.'))).toEqual([]);
    // The bind is alive and the id still matches: the same receipt with real dates delivers it.
    expect((await s.smsc.control.injectDeliver(receiptFor(phone, 'DELIVRD', { state: 2 }))).status).toBe(0);
    expect((await final(id)).status).toBe('delivered');
  });

  it.each(['empty_id', 'long_id'])('a submit_sm_resp with %s: sent with smsc_id_missing, never resubmitted, unknown after the receipt window (BAD-INPUTS 44)', async (outcome) => {
    const phone = mobile();
    s.smsc.control.script(phone.slice(1), outcome as 'empty_id');
    const { id } = await sms('番号のない受付応答', phone, { timeouts: { sms: 1 } });
    const m = await final(id);
    expect(m.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'attempt.status', status: 'sent', reason: 'smsc_id_missing' })]));
    expect(s.smsc.control.submitsTo(phone)).toHaveLength(1);
    // No receipt can ever match it: whether it arrived is not known, and it is not said to have expired.
    expect(m.attempts).toEqual([expect.objectContaining({ status: 'unknown' })]);
  });

  it('a receipt for an id no submit answered with is parked for its TTL, then expired and counted on /metrics (BAD-INPUTS 39)', async () => {
    const orphans = async () => {
      const text = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } }).then((r) => r.text());
      const line = /^tsunagu_orphan_receipts_expired_total\{channel="sms"\} (\d+)$/m.exec(text);
      expect(line).not.toBeNull();
      return Number(line?.[1]);
    };
    const before = await expectEventually(orphans);
    const smscId = `FF${Date.now().toString(16).toUpperCase()}`;
    const now = yymmddhhmm(new Date());
    const text = `id:${smscId} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:`;
    expect((await s.smsc.control.injectDeliver({ short_message: Buffer.from(text, 'ascii'), receipted_message_id: smscId, message_state: 2 })).status).toBe(0);

    const parked = await h.query<{ ttl: number }>(`SELECT extract(epoch FROM expires_at - now())::int AS ttl FROM parked_events WHERE channel = 'sms' AND provider_message_id = $1`, [smscId.toLowerCase()]);
    expect(parked).toEqual([{ ttl: expect.any(Number) }]);
    expect(parked[0].ttl).toBeGreaterThan(60); // waits minutes for a late submit response (PARK_TTL_MS)
    // Its TTL runs out (aged here, not waited for): the worker's reconciler drops it and counts it.
    await h.query(`UPDATE parked_events SET expires_at = now() - interval '1 second' WHERE provider_message_id = $1`, [smscId.toLowerCase()]);
    await expectEventually(async () => expect(await orphans()).toBe(before + 1), { timeoutMs: 10000 });
    expect(await h.query(`SELECT 1 FROM parked_events WHERE provider_message_id = $1`, [smscId.toLowerCase()])).toEqual([]);
  });
});

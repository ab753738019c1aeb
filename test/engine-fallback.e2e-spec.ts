import { verifyWebhook } from '@tsunagu/security';
import { expectEventually } from '@tsunagu/testing';
import { CrmReceiver, startCrmReceiver } from './support/crm-receiver';
import { EngineHarness, finalView, get, mobile, post, startEngine } from './support/engine-harness';

describe('engine: fallback end to end (api + worker, scripted channels, real PostgreSQL and Redis)', () => {
  let h: EngineHarness;
  let crm: CrmReceiver;
  let callbackUrl: string;

  beforeAll(async () => {
    crm = await startCrmReceiver();
    callbackUrl = crm.url;
    h = await startEngine({ label: 'fallback' });
  });

  afterAll(async () => {
    await h?.close();
    await crm?.close();
  });

  async function send(phone: string, extra: Record<string, unknown> = {}) {
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'お知らせ: ご予約は明日です', callbackUrl, ...extra }, {
      'idempotency-key': `k-${phone}-${Math.random()}`,
    });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  const finalState = (id: string, timeoutMs = 15000) => finalView(h, id, timeoutMs);


  it('delivers on the first channel when it delivers', async () => {
    const phone = mobile();
    const id = await send(phone);
    const m = await finalState(id);
    expect(m.status).toBe('delivered');
    expect(m.channel).toBe('rcs');
    expect(m.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([['rcs', 'delivered']]);
    expect(h.providers.sms.sent.filter((s) => s.phone === phone)).toHaveLength(0);
  });

  it('falls back on timeout: RCS revoked, then SMS delivered', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const id = await send(phone);
    const m = await finalState(id);
    expect(m.status).toBe('delivered');
    expect(m.channel).toBe('sms');
    expect(m.attempts.map((a: { channel: string; status: string; reason: string }) => [a.channel, a.status, a.reason])).toEqual([
      ['rcs', 'revoked', 'fallback_timeout'],
      ['sms', 'delivered', null],
    ]);
    expect(m.decisions.map((d: { kind: string }) => d.kind)).toEqual(['channel', 'channel']);
    // The withdrawal and the SMS attempt commit together: now() is the transaction's start, so
    // they share it. (The SMS capability answer was asked before the lock, not between two commits.)
    const [revoked] = await h.query<{ at: Date }>(`SELECT created_at AS at FROM events WHERE message_id = $1 AND type = 'attempt.status' AND status = 'revoked'`, [id]);
    const [sms] = await h.query<{ at: Date }>(`SELECT created_at AS at FROM attempts WHERE message_id = $1 AND channel = 'sms'`, [id]);
    expect(sms.at.toISOString()).toBe(revoked.at.toISOString());
  });

  it('falls back at once on a permanent failure, and the failed attempt still gets its own callback', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'permanent' });
    const id = await send(phone);
    const m = await finalState(id);
    expect(m.status).toBe('delivered');
    expect(m.attempts[0]).toMatchObject({ channel: 'rcs', status: 'failed', reason: 'scripted_permanent', permanent: true });
    await expectEventually(() => {
      const types = crm.received.map((c) => JSON.parse(c.body)).filter((b) => b.messageId === id).map((b) => `${b.type}:${b.status}`);
      expect(types).toEqual(expect.arrayContaining(['attempt.status:failed', 'message.status:delivered']));
    });
  });

  it('skips a channel the contact cannot receive without waiting for it', async () => {
    const phone = mobile();
    h.providers.rcs.reachable.set(phone, false);
    const started = Date.now();
    const id = await send(phone);
    const m = await finalState(id);
    expect(m.channel).toBe('sms');
    expect(m.attempts).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(m.decisions[0].outcome.skipped).toEqual([{ channel: 'rcs', reason: 'not_rcs_capable' }]);
  });

  it('does not fall back when the withdrawal is too late (delivered meanwhile)', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const id = await send(phone);
    await expectEventually(() => expect(h.providers.rcs.sent.some((s) => s.phone === phone)).toBe(true));
    const attemptId = h.providers.rcs.sent.find((s) => s.phone === phone)!.attemptId;
    h.providers.rcs.delivered.add(attemptId); // the provider delivered it but the report has not arrived
    const m = await finalState(id);
    expect(m.status).toBe('delivered');
    expect(m.channel).toBe('rcs');
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]).toMatchObject({ status: 'delivered', reason: 'cancel_too_late' });
    expect(h.providers.sms.sent.some((s) => s.phone === phone)).toBe(false);
  });

  it('fails with all_channels_failed when every channel fails', async () => {
    const phone = mobile();
    for (const ch of ['rcs', 'sms', 'line']) h.providers[ch].script(phone, { send: 'accept', then: 'fail' });
    const id = await send(phone);
    const m = await finalState(id);
    expect(m.status).toBe('failed');
    expect(m.reason).toBe('all_channels_failed');
    expect(m.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['rcs', 'failed'],
      ['sms', 'failed'],
      ['line', 'failed'],
    ]);
  });

  it('expires a message whose expiresAt passes before delivery', async () => {
    const phone = mobile();
    for (const ch of ['rcs', 'sms', 'line']) h.providers[ch].script(phone, { send: 'accept', then: 'none' });
    const id = await send(phone, { expiresAt: new Date(Date.now() + 3000).toISOString() });
    const m = await finalState(id);
    expect(m.status).toBe('expired');
    expect(m.attempts.every((a: { status: string }) => ['revoked', 'expired'].includes(a.status))).toBe(true);
  });

  it('cancels on request, withdrawing the attempt in flight', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const id = await send(phone, { timeouts: { rcs: 60 } });
    await expectEventually(() => expect(h.providers.rcs.sent.some((s) => s.phone === phone)).toBe(true));
    const res = await post(h, `/v1/messages/${id}/cancel`, {});
    expect(res.status).toBe(202);
    const m = await finalState(id);
    expect(m.status).toBe('cancelled');
    expect(m.attempts[0].status).toBe('revoked');
    const again = await post(h, `/v1/messages/${id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('MESSAGE_ALREADY_FINAL');
  });

  it('keeps one conversation per contact, newest first, with every attempt', async () => {
    const phone = mobile();
    const first = await send(phone);
    await finalState(first);
    const second = await send(phone);
    await finalState(second);
    const lookup = await post(h, '/v1/contacts/lookup', { phone: phone.replace('+81', '0') });
    expect(lookup.status).toBe(200);
    const conv = await get(h, `/v1/contacts/${lookup.body.id}/conversation?limit=1`);
    expect(conv.status).toBe(200);
    expect(conv.body.contact.phone).toMatch(/^\+81 90-\*{4}-\d{4}$/);
    expect(conv.body.items.map((i: { id: string }) => i.id)).toEqual([second]);
    const page2 = await get(h, `/v1/contacts/${lookup.body.id}/conversation?limit=1&before=${conv.body.nextCursor}`);
    expect(page2.body.items.map((i: { id: string }) => i.id)).toEqual([first]);
    expect(page2.body.items[0].attempts[0]).toMatchObject({ channel: 'rcs', status: 'delivered' });
  });

  it('signs every callback like Standard Webhooks, with the tenant secret', async () => {
    const phone = mobile();
    const id = await send(phone);
    await finalState(id);
    const tenantSecret: string = (await h.api.get((await import('@tsunagu/engine')).TenantSettingsService).get(h.tenantId)).callbackSecret!;
    await expectEventually(() => {
      const mine = crm.received.filter((c) => JSON.parse(c.body).messageId === id);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      for (const c of mine) {
        const headers = { 'webhook-id': String(c.headers['webhook-id']), 'webhook-timestamp': String(c.headers['webhook-timestamp']), 'webhook-signature': String(c.headers['webhook-signature']) };
        expect(verifyWebhook({ secret: tenantSecret, headers, body: c.body })).toBe(true);
        expect(verifyWebhook({ secret: tenantSecret, headers, body: c.body + ' ' })).toBe(false);
        expect(c.body).not.toContain(phone.slice(3));
      }
    });
  });
});

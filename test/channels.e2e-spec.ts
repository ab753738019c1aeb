import { randomUUID } from 'node:crypto';
import { rbmSignature } from '@tsunagu/channel-rcs';
import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { startHookProxy } from './support/delay-proxy';
import { EngineHarness, finalView, get, mobile, operatorDecides, post, startEngine } from './support/engine-harness';

type Attempt = { channel: string; status: string; reason: string | null; route: string | null };

/**
 * RCS → SMS → LINE over the real protocols: the engine against the sandbox RBM (HTTP), the
 * sandbox SMSC (SMPP over TCP) and the sandbox LINE (HTTP), webhooks signed both ways.
 */
describe('channels end to end: RBM, SMPP and LINE stand-ins', () => {
  let s: Sandboxes;
  let h: EngineHarness;
  let proxy: Awaited<ReturnType<typeof startHookProxy>>;
  let n = 0;

  beforeAll(async () => {
    s = await startSandboxes({ receiptDelayMs: 50, rbmDeliveryMs: 100, pnpDeliveryDelayMs: 100 });
    proxy = await startHookProxy(s.rbm.baseUrl);
    h = await startEngine({
      label: 'channels',
      realChannels: (tenantId) => {
        const settings = sandboxChannelSettings(s, tenantId) as { rcs: { agents: { baseUrl: string }[] } };
        settings.rcs.agents[0].baseUrl = proxy.url;
        return settings as unknown as Record<string, unknown>;
      },
      rbmSandbox: s.rbm.control,
    });
    await s.wire(h.baseUrl);
    const sender = await post(h, '/v1/senders', { address: '00051234', routes: ['jp-direct'] });
    expect((await operatorDecides(h, sender.body.id, 'approve')).status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await s?.close();
  });

  async function send(body: Record<string, unknown>) {
    const res = await post(h, '/v1/messages', { category: 'transactional', text: 'ご予約は明日10時です。', sender: '00051234', ...body }, { 'idempotency-key': `ch-${++n}-${Date.now()}` });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }
  const final = (id: string, timeoutMs?: number) =>
    finalView<{ status: string; channel: string; reason: string; possibleDuplicate: boolean; attempts: Attempt[]; contactId: string }>(h, id, timeoutMs);

  const trail = (m: { attempts: Attempt[] }) => m.attempts.map((a) => `${a.channel}:${a.status}`);

  it('RCS-capable phone → delivered by RCS', async () => {
    const phone = mobile();
    const m = await final(await send({ to: { phone } }));
    expect([m.status, m.channel]).toEqual(['delivered', 'rcs']);
    expect(trail(m)).toEqual(['rcs:delivered']);
  });

  it('phone without RCS → SMS over the domestic direct route with no RCS wait, delivered by receipt', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'not_capable');
    const started = Date.now();
    const m = await final(await send({ to: { phone } }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(trail(m)).toEqual(['sms:delivered']);
    expect(m.attempts[0].route).toBe('jp-direct');
    expect(s.smsc.control.submitsTo(phone.slice(1)).length).toBe(1);
  });

  it('RCS never delivered → revoked at the timeout, then SMS', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'never_delivered');
    const m = await final(await send({ to: { phone } }));
    expect(trail(m)).toEqual(['rcs:revoked', 'sms:delivered']);
    const revoked = Object.values(s.rbm.control.records().messages).filter((r) => r.phone === phone);
    expect(revoked.map((r) => r.state)).toEqual(['revoked']);
  });

  it('delivered while the revoke is in flight → too late, no SMS', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'never_delivered');
    proxy.onRequest(async (method, path) => {
      if (method !== 'DELETE') return;
      // The person's phone reports DELIVERED just as the engine withdraws the message.
      const messageId = decodeURIComponent(path.split('/agentMessages/')[1].split('?')[0]);
      const data = Buffer.from(JSON.stringify({ agentId: s.credentials.rbm.agentId, senderPhoneNumber: phone, eventType: 'DELIVERED', eventId: randomUUID(), messageId, sendTime: new Date().toISOString() }));
      const res = await fetch(`${h.baseUrl}/webhooks/rbm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-signature': rbmSignature(s.credentials.rbm.clientToken, data) },
        body: JSON.stringify({ message: { data: data.toString('base64'), messageId: randomUUID(), publishTime: new Date().toISOString() }, subscription: 'projects/p/subscriptions/s' }),
      });
      expect(res.status).toBe(200);
    });
    try {
      const m = await final(await send({ to: { phone } }));
      expect([m.status, m.channel]).toEqual(['delivered', 'rcs']);
      expect(trail(m)).toEqual(['rcs:delivered']);
      expect(s.smsc.control.submitsTo(phone.slice(1))).toHaveLength(0);
    } finally {
      proxy.onRequest(null);
    }
  });

  it('RCS not capable → SMS undelivered (UNDELIV) → LINE push delivered, the rich card’s text on every fallback', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'not_capable');
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const lineUserId = `U${randomUUID().replace(/-/g, '')}`;
    const id = await send({ to: { phone, lineUserId }, rcs: { card: { title: 'ご予約', description: '明日10時', suggestions: [{ type: 'reply', text: 'OK', postbackData: 'ok' }] } } });
    const m = await final(id);
    expect(trail(m)).toEqual(['sms:failed', 'line:sent']);
    expect([m.status, m.channel]).toEqual(['delivered', 'line']);
    expect(m.attempts[0].reason).toBe('undeliverable');
    expect(s.smsc.control.submitsTo(phone.slice(1))[0].text).toBe('ご予約は明日10時です。');
    const pushed = s.line.control.records().requests.filter((r) => JSON.stringify(r).includes(lineUserId));
    expect(JSON.stringify(pushed)).toContain('ご予約は明日10時です。');
    // LINE's request id for the push, which its support desk asks for, is kept on the attempt's event.
    const sent = await h.query<{ id: string | null }>(
      `SELECT e.detail->>'providerRequestId' AS id FROM events e JOIN attempts a ON a.id = e.attempt_id WHERE a.message_id = $1 AND a.channel = 'line' AND e.type = 'attempt.status' AND e.status = 'sent'`,
      [id],
    );
    expect(sent).toEqual([{ id: pushed.at(-1)!.requestId }]);
  });

  it('unfollowed contact → LINE not tried, all_channels_failed', async () => {
    const phone = mobile();
    const lineUserId = `U${randomUUID().replace(/-/g, '')}`;
    s.rbm.control.script(phone, 'not_capable');
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const first = await final(await send({ to: { phone, lineUserId }, channels: ['sms'] }));
    expect(first.status).toBe('failed');
    await s.line.control.unfollow(lineUserId, s.credentials.line.botUserId);
    await expectEventually(async () => {
      const conv = (await get(h, `/v1/contacts/${first.contactId}/conversation`)).body;
      expect(conv.contact.lineFollowing).toBe(false);
    });
    const m = await final(await send({ to: { phone } }));
    expect(m.status).toBe('failed');
    expect(m.reason).toBe('all_channels_failed');
    expect(m.attempts.map((a) => a.channel)).toEqual(['sms']);
  });

  it('OTP goes by SMS only and never touches LINE; OTP with LINE is refused', async () => {
    const phone = mobile();
    const m = await final(await send({ to: { phone, lineUserId: `U${randomUUID().replace(/-/g, '')}` }, category: 'otp', text: '認証コード: 482913' }));
    expect(trail(m)).toEqual(['sms:delivered']);
    const refused = await post(h, '/v1/messages', { to: { phone }, category: 'otp', text: '認証コード: 1', channels: ['sms', 'line'] }, { 'idempotency-key': `otp-line-${n++}` });
    expect([refused.status, refused.body.code]).toEqual([422, 'CHANNEL_NOT_ALLOWED_FOR_OTP']);
    const shown = (await get(h, `/v1/messages/${(m as unknown as { id: string }).id}`)).body;
    expect(shown.text).toBeNull(); // OTP bodies are wiped once final
  });

  it('an SMS reply and a stop word land in the conversation; the stop word opts the contact out of SMS', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'not_capable');
    const m = await final(await send({ to: { phone } }));
    await s.smsc.control.injectMo({ from: phone.slice(1), to: '00051234', text: '了解しました' });
    await s.smsc.control.injectMo({ from: phone.slice(1), to: '00051234', text: '配信停止' });
    await expectEventually(async () => {
      const conv = (await get(h, `/v1/contacts/${m.contactId}/conversation`)).body;
      const inbound = conv.items.filter((i: { direction: string }) => i.direction === 'inbound').map((i: { text: string; channel: string }) => `${i.channel}:${i.text}`);
      expect(inbound).toEqual(expect.arrayContaining(['sms:了解しました', 'sms:配信停止']));
      expect(conv.contact.optOuts).toContain('sms');
    });
  });

  it('an SMS reply the SMSC offers again (no deliver_sm_resp reached it) is one message; a new identical reply later is another', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'not_capable');
    const m = await final(await send({ to: { phone } }));
    // SMPP gives an MO no id: the redelivery is a new deliver_sm with a new sequence number.
    for (let i = 0; i < 3; i++) expect((await s.smsc.control.injectMo({ from: phone.slice(1), to: '00051234', text: 'はい' })).status).toBe(0);
    const inboundTexts = async () =>
      (await get(h, `/v1/contacts/${m.contactId}/conversation`)).body.items
        .filter((i: { direction: string }) => i.direction === 'inbound')
        .map((i: { text: string }) => i.text);
    await expectEventually(async () => expect(await inboundTexts()).toEqual(['はい']));
    const offers = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'inbound.inbound_message' AND detail->>'contactId' = $1`, [m.contactId]);
    expect(offers[0].n).toBe(3);
    // The window is about the SMSC's redelivery, not the person: once it has passed, the same text is a new reply.
    await h.query(`UPDATE messages SET created_at = created_at - interval '10 minutes' WHERE contact_id = $1 AND direction = 'inbound'`, [m.contactId]);
    expect((await s.smsc.control.injectMo({ from: phone.slice(1), to: '00051234', text: 'はい' })).status).toBe(0);
    await expectEventually(async () => expect(await inboundTexts()).toEqual(['はい', 'はい']));
  });

  it('a LINE reply appears in the conversation of the linked contact', async () => {
    const phone = mobile();
    const lineUserId = `U${randomUUID().replace(/-/g, '')}`;
    const m = await final(await send({ to: { phone, lineUserId } }));
    await s.line.control.message(lineUserId, 'ありがとう', { botUserId: s.credentials.line.botUserId });
    await expectEventually(async () => {
      const conv = (await get(h, `/v1/contacts/${m.contactId}/conversation`)).body;
      expect(conv.items.some((i: { direction: string; channel: string; text: string }) => i.direction === 'inbound' && i.channel === 'line' && i.text === 'ありがとう')).toBe(true);
    });
  });

  it('account linking: a linked contact is reachable on LINE, the link shows in the conversation, unlinking ends it', async () => {
    const phone = mobile();
    s.rbm.control.script(phone, 'not_capable');
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const first = await final(await send({ to: { phone }, channels: ['sms'] }));
    const lineUserId = `U${randomUUID().replace(/-/g, '')}`;
    const put = async (path: string, body: unknown) =>
      fetch(`${h.baseUrl}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put(`/v1/contacts/${first.contactId}/line-link`, { lineUserId: 'not-a-line-id' })).status).toBe(422);
    expect((await put(`/v1/contacts/${first.contactId}/line-link`, { lineUserId })).status).toBe(200);
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const viaLine = await final(await send({ to: { phone } }));
    expect(trail(viaLine)).toEqual(['sms:failed', 'line:sent']);
    const conv = (await get(h, `/v1/contacts/${first.contactId}/conversation`)).body;
    expect(conv.contactEvents.map((e: { type: string }) => e.type)).toContain('contact.line_linked');
    const del = await fetch(`${h.baseUrl}/v1/contacts/${first.contactId}/line-link`, { method: 'DELETE', headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(del.status).toBe(200);
    s.smsc.control.script(phone.slice(1), 'undeliverable');
    const noLine = await final(await send({ to: { phone } }));
    expect([noLine.status, noLine.reason]).toEqual(['failed', 'all_channels_failed']);
    expect(trail(noLine)).toEqual(['sms:failed']);
  });

  it('refuses a sender not approved for the route, before anything is stored', async () => {
    const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'x', sender: '00059999' }, { 'idempotency-key': `s-${n++}` });
    expect([res.status, res.body.code]).toEqual([422, 'SENDER_NOT_APPROVED']);
  });

  it('previews length and encoding, and refuses 671 Japanese characters (BODY_TOO_LONG)', async () => {
    const preview = await post(h, '/v1/messages/preview', { text: 'あ'.repeat(670) });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ channel: 'sms', fits: true, encoding: 'ucs2', segments: 10 });
    const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'あ'.repeat(671) }, { 'idempotency-key': `long-${n++}` });
    expect([res.status, res.body.code]).toEqual([422, 'BODY_TOO_LONG']);
    expect(res.body.details).toMatchObject({ channel: 'sms', limit: 670 });
  });
});

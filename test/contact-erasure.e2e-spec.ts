import { expectEventually } from '@tsunagu/testing';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { CrmReceiver, startCrmReceiver } from './support/crm-receiver';
import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

const TEXT = 'ご予約の確認：山田様 明日10時';
const REPLY = '山田です、了解しました';

/** A person's request to erase their data: what names them goes everywhere it was kept, the trail stays. */
describe('erasing a contact (DELETE /v1/contacts/{id})', () => {
  let h: EngineHarness;
  let crm: CrmReceiver;
  const phone = mobile();
  let contactId: string;
  let messageId: string;

  const del = (path: string, key = h.apiKey) => fetch(`${h.baseUrl}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  beforeAll(async () => {
    // The CRM is down: every callback stays pending (retried), so erasure must clean pending ones too.
    crm = await startCrmReceiver(503);
    h = await startEngine({ label: 'erasure' });
    await h.admin.setCallbackUrl(h.tenantId, crm.url);

    const sent = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: TEXT, metadata: { customer: '山田太郎' } }, { 'idempotency-key': 'erase-1' });
    messageId = sent.body.id;
    await expectEventually(async () => expect((await get(h, `/v1/messages/${messageId}`)).body.status).toBe('delivered'), { timeoutMs: 15_000 });
    contactId = (await get(h, `/v1/messages/${messageId}`)).body.contactId;
    await h.providers.sms.sink!([{ channel: 'sms', type: 'inbound_message', providerEventId: `mo-erase`, tenantId: h.tenantId, from: { phoneE164: phone }, text: REPLY, occurredAt: new Date() }]);
    await expectEventually(async () => expect(crm.received.some((c) => c.body.includes(REPLY))).toBe(true), { timeoutMs: 10_000 });
  }, 40_000);

  afterAll(async () => {
    await h?.close();
    await crm?.close();
  });

  it('is refused while a message is in flight, and needs the admin scope', async () => {
    const later = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'あとで送るお知らせ', sendAt: new Date(Date.now() + 3_600_000).toISOString() }, { 'idempotency-key': 'erase-2' });
    const refused = await del(`/v1/contacts/${contactId}`);
    expect([refused.status, refused.body.code, (refused.body.details as { inFlight: number }).inFlight]).toEqual([409, 'CONFLICT', 1]);
    const sendOnly = (await h.admin.createApiKey(h.tenantId, ['messages:send', 'messages:read'])).token;
    expect((await del(`/v1/contacts/${contactId}`, sendOnly)).status).toBe(403);
    expect((await h.query<{ erased_at: Date | null }>(`SELECT erased_at FROM contacts WHERE id = $1`, [contactId]))[0].erased_at).toBeNull();
    expect((await post(h, `/v1/messages/${later.body.id}/cancel`, {})).status).toBe(202);
    await expectEventually(async () => expect((await get(h, `/v1/messages/${later.body.id}`)).body.status).toBe('cancelled'), { timeoutMs: 10_000 });
  });

  it('removes the number, texts and metadata everywhere they were kept; ids, states and the trail stay', async () => {
    const erased = await del(`/v1/contacts/${contactId}`);
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({ contactId, erasedAt: expect.any(String), messages: 3 });

    const [contact] = await h.query<{ phone_len: number; phone_bidx: string; line_user_id: string | null }>(`SELECT length(phone_enc) AS phone_len, phone_bidx, line_user_id FROM contacts WHERE id = $1`, [contactId]);
    expect(contact).toEqual({ phone_len: 0, phone_bidx: `erased:${contactId}`, line_user_id: null });
    const messages = await h.query<{ status: string; text: string | null; metadata: unknown }>(`SELECT status, text, metadata FROM messages WHERE contact_id = $1 ORDER BY created_at`, [contactId]);
    expect(messages.map((m) => [m.status, m.text, m.metadata])).toEqual([['delivered', null, null], ['received', null, null], ['cancelled', null, null]]);
    // Nothing of theirs anywhere in the database: not in callbacks (pending ones included), events or decisions.
    for (const table of ['messages', 'callbacks', 'events', 'decisions', 'contacts', 'attempts']) {
      const found = await h.query(`SELECT 1 FROM ${table} t WHERE t::text LIKE '%山田%' OR t::text LIKE $1`, [`%${phone.slice(3)}%`]);
      expect([table, found.length]).toEqual([table, 0]);
    }
    expect((await h.query(`SELECT 1 FROM callbacks c JOIN messages m ON m.id = c.message_id WHERE m.contact_id = $1 AND c.status = 'pending'`, [contactId])).length).toBeGreaterThan(0);
    expect(await h.query(`SELECT actor, action FROM audit_log WHERE subject_id = $1 AND action = 'contact.erase'`, [contactId])).toEqual([{ actor: expect.stringMatching(/^apikey:/), action: 'contact.erase' }]);

    // Over the API: the message keeps its states and attempts, not its words.
    const view = (await get(h, `/v1/messages/${messageId}`)).body;
    expect([view.status, view.text, view.textRedacted, view.metadata, view.attempts.length]).toEqual(['delivered', null, true, null, 1]);
    const conversation = (await get(h, `/v1/contacts/${contactId}/conversation`)).body;
    expect([conversation.contact.phone, typeof conversation.contact.erasedAt, conversation.items.map((i: { text: string | null }) => i.text)]).toEqual([null, 'string', [null, null, null]]);
    // The number finds nobody now; the next message to it starts a new contact.
    expect((await post(h, '/v1/contacts/lookup', { phone })).status).toBe(404);
    const again = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'はじめまして' }, { 'idempotency-key': 'erase-3' });
    const fresh = (await get(h, `/v1/messages/${again.body.id}`)).body.contactId;
    expect(fresh).not.toBe(contactId);
    // Repeating the erasure answers the same; linking LINE to the erased contact is refused.
    expect((await del(`/v1/contacts/${contactId}`)).body).toEqual(erased.body);
    const link = await fetch(`${h.baseUrl}/v1/contacts/${contactId}/line-link`, { method: 'PUT', headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ lineUserId: `U${'b'.repeat(32)}` }) });
    const refusal = (await link.json()) as { code: string; message: string };
    expect([link.status, refusal.code]).toEqual([409, 'CONFLICT']);
    expect(refusal.message).toMatch(/erased on request/);
  });

  it('shows support staff an erased contact: no number to reveal, the history without its words', async () => {
    await h.api.get(StaffService).create(h.tenantId, 'sup@example.jp', 'supervisor', 'correct horse battery staple');
    const tenant = (await h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [h.tenantId]))[0].name;
    const sup = new ConsoleClient(h.baseUrl);
    await sup.signIn(tenant, 'sup@example.jp', 'correct horse battery staple');
    const page = await sup.get(`/console/contacts/${contactId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="erased"');
    expect(page.text).not.toContain('/reveal');
    expect(page.text).not.toContain('山田');
    const reveal = await sup.post(`/console/contacts/${contactId}/reveal`, { _csrf: sup.csrf(), reason: 'お客様からの問い合わせ' });
    expect(reveal.status).toBe(409);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE subject_id = $1 AND action = 'phone.reveal'`, [contactId])).toHaveLength(0);
  });
});

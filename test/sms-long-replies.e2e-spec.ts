import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { consoleStaff } from './support/console-staff';
import { CrmReceiver, startCrmReceiver } from './support/crm-receiver';
import { EngineHarness, finalView, get, mobile, operatorDecides, post, startEngine } from './support/engine-harness';
import { addBodyCanary } from './support/log-canaries';

const SHORT_CODE = '00051234';
const CONCAT_TIMEOUT_SECONDS = 2;

type Item = { id: string; direction: string; channel: string; text: string | null; partial: { partsReceived: number | null; parts: number | null } | null };

/**
 * Long SMS replies through the whole engine: the sandbox SMSC offers the parts over SMPP on TCP,
 * the worker holds them in PostgreSQL, and the reply reaches the contact's conversation, the API
 * and the CRM; erasure reaches the parts still waiting.
 */
describe('long SMS replies end to end', () => {
  let s: Sandboxes;
  let h: EngineHarness;
  let crm: CrmReceiver;
  let n = 0;

  beforeAll(async () => {
    s = await startSandboxes({ receiptDelayMs: 30 });
    crm = await startCrmReceiver(204);
    h = await startEngine({
      label: 'long-replies',
      realChannels: (tenantId) => {
        const settings = sandboxChannelSettings(s, tenantId) as { sms: Record<string, unknown> };
        settings.sms.concatTimeoutSeconds = CONCAT_TIMEOUT_SECONDS;
        return settings as unknown as Record<string, unknown>;
      },
      rbmSandbox: s.rbm.control,
    });
    await s.wire(h.baseUrl);
    await h.admin.setCallbackUrl(h.tenantId, crm.url);
    const sender = await post(h, '/v1/senders', { address: SHORT_CODE, routes: ['jp-direct'] });
    expect(sender.status).toBe(201);
    // Approved by the platform's operators after screening (an organisation cannot approve its own).
    expect((await operatorDecides(h, sender.body.id, 'approve')).status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await s?.close();
    await crm?.close();
  });

  /** A delivered SMS to a new number: its contact, ready for replies (and erasable: nothing in flight). */
  async function contactReached(): Promise<{ phone: string; contactId: string }> {
    const phone = mobile();
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'ご注文の品を発送しました。', sender: SHORT_CODE, channels: ['sms'] }, { 'idempotency-key': `lr-${++n}-${Date.now()}` });
    expect(res.status).toBe(202);
    const m = await finalView<{ status: string; contactId: string }>(h, res.body.id);
    expect(m.status).toBe('delivered');
    return { phone, contactId: m.contactId };
  }
  const replies = async (contactId: string): Promise<Item[]> =>
    ((await get(h, `/v1/contacts/${contactId}/conversation`)).body.items as Item[]).filter((i) => i.direction === 'inbound');

  it('a reply missing a part reaches the conversation after concatTimeoutSeconds, its metadata saying it is incomplete', async () => {
    const { phone, contactId } = await contactReached();
    const parts = ['お届け日を変更したいのですが、', '来週の火曜日は', '可能でしょうか。'];
    for (const p of parts) addBodyCanary(p);
    // Parts 1 and 3 of 3; part 2 never comes.
    const offered = Date.now();
    const { statuses } = await s.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x5a, send: [1, 3] });
    expect(statuses).toEqual([0, 0]); // each part acknowledged once stored
    expect(await replies(contactId)).toEqual([]); // held for its missing part, not handed on part by part

    const [reply] = await expectEventually(
      async () => {
        const found = await replies(contactId);
        expect(found).toEqual([expect.objectContaining({ channel: 'sms', text: parts[0] + parts[2] })]);
        return found;
      },
      { timeoutMs: CONCAT_TIMEOUT_SECONDS * 1000 + 10_000 },
    );
    expect(Date.now() - offered).toBeGreaterThanOrEqual(CONCAT_TIMEOUT_SECONDS * 1000);
    // The conversation says it is partial, and so does the console's timeline.
    expect(reply.partial).toEqual({ partsReceived: 2, parts: 3 });
    const agent = await consoleStaff(h).signedIn('agent');
    const page = await agent.get(`/console/contacts/${contactId}`);
    expect(page.text).toContain('<p class="notice partial" data-partial="2/3">長い返信の一部が届きませんでした。届いた部分のみ表示しています (2 / 3)</p>');
    // The API says so, in the reply's metadata (documented on GET /v1/messages/{id}).
    const view = (await get(h, `/v1/messages/${reply.id}`)).body;
    expect(view).toMatchObject({ direction: 'inbound', channel: 'sms', status: 'received', contactId, text: parts[0] + parts[2] });
    expect(view.metadata).toEqual({ contentType: 'text', recipient: SHORT_CODE, incomplete: true, partsReceived: 2, parts: 3 });
    // So does the CRM's message.inbound callback.
    const callback = await expectEventually(() => {
      const found = crm.received.map((c) => JSON.parse(c.body)).find((b) => b.type === 'message.inbound' && b.messageId === reply.id);
      expect(found).toBeDefined();
      return found;
    });
    expect(callback.metadata).toEqual({ contentType: 'text', recipient: SHORT_CODE, incomplete: true, partsReceived: 2, parts: 3 });

    // A whole reply says nothing of parts.
    const whole = ['全部', '届きました'];
    for (const p of whole) addBodyCanary(p);
    await s.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts: whole, form: 'udh8', ref: 0x5b });
    const complete = await expectEventually(async () => {
      const found = (await replies(contactId)).find((i) => i.text === whole.join(''));
      expect(found).toBeDefined();
      return found as Item;
    });
    expect((await get(h, `/v1/messages/${complete.id}`)).body.metadata).toEqual({ contentType: 'text', recipient: SHORT_CODE });
    expect(complete.partial).toBeNull();
  }, 40_000);

  it('erasing the contact removes the parts of their long reply still waiting, and nobody else\'s', async () => {
    const { phone, contactId } = await contactReached();
    const other = await contactReached();
    const parts = ['先ほどの件、', 'やはり取り消します'];
    for (const p of parts) addBodyCanary(p);
    await s.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x71, send: [1] });
    await s.smsc.control.injectConcatMo({ from: other.phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x72, send: [1] });
    const waiting = async (ref: number) => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM sms_inbound_parts WHERE ref = $1`, [ref]))[0].n;
    expect([await waiting(0x71), await waiting(0x72)]).toEqual([1, 1]);
    // Still waiting for their siblings when the erasure comes: their window pushed out, so no join can race it.
    await h.query(`UPDATE sms_inbound_parts SET expires_at = now() + interval '1 hour' WHERE ref = ANY($1)`, [[0x71, 0x72]]);

    const erased = await fetch(`${h.baseUrl}/v1/contacts/${contactId}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(erased.status).toBe(200);
    expect([await waiting(0x71), await waiting(0x72)]).toEqual([0, 1]);
    const [audit] = await h.query<{ detail: { messages: number; channelRecords: number } }>(`SELECT detail FROM audit_log WHERE subject_id = $1 AND action = 'contact.erase'`, [contactId]);
    expect(audit.detail).toEqual({ messages: 1, channelRecords: 1 });
    // Its part never becomes a reply of the erased contact's.
    expect(await replies(contactId)).toEqual([]);
  }, 40_000);
});

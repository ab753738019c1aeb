import { expectEventually } from '@tsunagu/testing';
import { TIMELINE_PAGE_SIZE } from '../apps/console/src/search/history.service';
import { consoleStaff, sendTransactional } from './support/console-staff';
import { EngineHarness, finalView, mobile, startEngine } from './support/engine-harness';
import { scriptedCrm } from './support/scripted-crm';

/**
 * What an agent reads on a contact's timeline, over HTTP with a worker delivering: delivery
 * reports, read receipts and opt-outs in Japanese words (never raw codes), outside text escaped,
 * every message of a long history reachable through "older", one audit row per page viewed, and
 * the audit log's own download audited.
 */
describe('console: the timeline an agent reads', () => {
  let h: EngineHarness;
  let signedIn: ReturnType<typeof consoleStaff>['signedIn'];

  beforeAll(async () => {
    h = await startEngine({ label: 'console_timeline' });
    ({ signedIn } = consoleStaff(h));
  }, 30000);

  afterAll(async () => {
    await h?.close();
  });

  const contactOf = async (messageId: string) => (await h.query<{ contact_id: string }>(`SELECT contact_id FROM messages WHERE id = $1`, [messageId]))[0].contact_id;

  it('shows delivery reports, read receipts and an RBM opt-out in words, and escapes a hostile reply', async () => {
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'read' });
    const id = await sendTransactional(h, { to: { phone } });
    await finalView(h, id);
    const contactId = await contactOf(id);
    const rcs = h.providers.rcs;
    // The person answers with markup, then unsubscribes from the agent (RBM's UNSUBSCRIBE is an opt_out).
    await rcs.sink!([{ channel: 'rcs', type: 'inbound_message', providerEventId: `mo-${id}`, tenantId: h.tenantId, from: { phoneE164: phone }, text: '<script>alert(1)</script>" onmouseover="x', occurredAt: new Date() }]);
    await rcs.sink!([{ channel: 'rcs', type: 'opt_out', providerEventId: `unsub-${id}`, tenantId: h.tenantId, from: { phoneE164: phone }, occurredAt: new Date() }]);

    const agent = await signedIn('agent');
    const page = await expectEventually(async () => {
      const res = await agent.get(`/console/contacts/${contactId}`);
      expect(res.text).toContain('既読通知');
      return res;
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain('配信通知');
    expect(page.text).toContain('CRMから受付');
    expect(page.text).toContain('種別: 取引通知');
    expect(page.text).not.toMatch(/provider\.(read|delivered)|· accepted/);
    // The opt-out: in the contact's own list, when and by which channel, and in the card's state.
    expect(page.text).toMatch(/<li data-type="inbound\.opt_out"><time datetime="[^"]+">\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} JST<\/time> · 配信停止 · RCS<\/li>/);
    expect(page.text).toMatch(/<dt>配信停止<\/dt><dd>RCS<\/dd>/);
    expect(page.text).not.toContain('data-type="inbound.inbound_message"');
    // The reply is text, never markup.
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x');
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).not.toContain(phone.slice(3));

    const en = await agent.get(`/console/contacts/${contactId}?lang=en`);
    expect(en.text).toContain('read receipt');
    expect(en.text).toMatch(/ · opted out · RCS<\/li>/);
  });

  it('reaches every message of a long history through "older", one audit row per page', async () => {
    const phone = mobile();
    const ids: string[] = [];
    for (let i = 0; i < TIMELINE_PAGE_SIZE + 3; i += 1) ids.push(await sendTransactional(h, { to: { phone } }));
    const contactId = await contactOf(ids[0]);
    // Accepts that arrive together commit together and share PostgreSQL's now(), to the microsecond.
    await h.query(`UPDATE messages SET created_at = '2025-03-01T01:02:03.456789Z' WHERE contact_id = $1`, [contactId]);

    const agent = await signedIn('agent');
    const seen: string[] = [];
    let path: string | null = `/console/contacts/${contactId}`;
    let pages = 0;
    while (path) {
      const res = await agent.get(path);
      expect(res.status).toBe(200);
      pages += 1;
      seen.push(...[...res.text.matchAll(/<li class="item [a-z]+" id="m-([0-9a-f-]{36})">/g)].map((m) => m[1]));
      const older = /<a href="([^"]+)" rel="next">/.exec(res.text);
      if (pages === 2) {
        // The older page in the other language is the same page: the switch keeps its cursor.
        const switched = /<p class="lang"><a href="([^"]+)"/.exec(res.text)![1].replace(/&amp;/g, '&');
        expect(switched).toBe(`${path}&lang=en`);
        const en = await agent.get(switched);
        expect([...en.text.matchAll(/<li class="item [a-z]+" id="m-([0-9a-f-]{36})">/g)].map((m) => m[1])).toEqual(seen.slice(-3));
      }
      path = older ? older[1].replace(/&amp;/g, '&') : null;
      expect(pages).toBeLessThan(5);
    }
    expect([...new Set(seen)].sort()).toEqual([...ids].sort());
    expect(seen).toHaveLength(ids.length);
    const actor = (await h.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'staff.login' ORDER BY created_at DESC LIMIT 1`))[0].actor;
    const views = await h.query<{ detail: { page: string } }>(`SELECT detail FROM audit_log WHERE action = 'contact.view' AND actor = $1 AND subject_id = $2 ORDER BY created_at, id`, [actor, contactId]);
    expect(views.map((v) => v.detail.page)).toEqual(['newest', 'older', 'older']);
  });

  it('writes no view row for a contact or message that is not there, and one for each download of the audit log', async () => {
    const sup = await signedIn('supervisor');
    const actor = (await h.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'staff.login' ORDER BY created_at DESC LIMIT 1`))[0].actor;
    const missing = '0190a000-0000-7000-8000-000000000000';
    expect((await sup.get(`/console/contacts/${missing}`)).status).toBe(404);
    expect((await sup.get(`/console/messages/${missing}`)).status).toBe(404);
    expect((await sup.get(`/console/contacts/${missing}?before=bm9uc2Vuc2U`)).status).toBe(404);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE actor = $1 AND action <> 'staff.login'`, [actor])).toHaveLength(0);

    const csv = await sup.get('/console/audit/csv?action=phone.reveal');
    expect(csv.status).toBe(200);
    expect(csv.text).not.toContain('audit.export');
    const rows = await h.query<{ subject_type: string; subject_id: string; detail: { rows: number } }>(`SELECT subject_type, subject_id, detail FROM audit_log WHERE actor = $1 AND action = 'audit.export'`, [actor]);
    expect(rows.map((r) => [r.subject_type, r.subject_id, r.detail.rows])).toEqual([['audit_log', '?action=phone.reveal', 0]]);
    const log = await sup.get('/console/audit?action=audit.export');
    expect(log.text).toContain('監査ログをダウンロード');
  });
  it("says whether the CRM heard of each message: its callbacks by state, and the last answer of those that failed", async () => {
    const [taken, gone] = [await scriptedCrm([204]), await scriptedCrm([410])];
    try {
      const phone = mobile();
      await h.admin.setCallbackUrl(h.tenantId, taken.url);
      const heard = await sendTransactional(h, { to: { phone } });
      await finalView(h, heard);
      await h.admin.setCallbackUrl(h.tenantId, gone.url);
      const refused = await sendTransactional(h, { to: { phone } });
      await finalView(h, refused);
      const counts = await expectEventually(async () => {
        const rows = await h.query<{ message_id: string; status: string; n: number }>(
          `SELECT message_id, status, count(*)::int AS n FROM callbacks WHERE message_id IN ($1, $2) GROUP BY 1, 2 ORDER BY 1, 2`,
          [heard, refused],
        );
        expect(rows.map((r) => [r.message_id, r.status])).toEqual([[heard, 'delivered'], [refused, 'failed']].sort());
        return Object.fromEntries(rows.map((r) => [r.message_id, r.n]));
      });

      const page = await (await signedIn('agent')).get(`/console/contacts/${await contactOf(heard)}`);
      const card = (id: string) => page.text.slice(page.text.indexOf(`id="m-${id}"`), page.text.indexOf('</article>', page.text.indexOf(`id="m-${id}"`)));
      expect(card(heard)).toContain(`<span data-callbacks="delivered">受信済み ${counts[heard]}</span>`);
      expect(card(heard)).not.toContain('最後の応答');
      expect(card(refused)).toContain(`<span data-callbacks="failed">失敗 ${counts[refused]}</span>`);
      expect(card(refused)).toContain('最後の応答: <code>410</code>');
    } finally {
      await h.admin.setCallbackUrl(h.tenantId, null);
      await taken.close();
      await gone.close();
    }
  }, 30_000);
});

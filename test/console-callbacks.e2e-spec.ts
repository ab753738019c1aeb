import { expectEventually } from '@tsunagu/testing';
import { consoleStaff, sendTransactional } from './support/console-staff';
import { EngineHarness, finalView, mobile, startEngine } from './support/engine-harness';
import { scriptedCrm } from './support/scripted-crm';

/**
 * An organisation's admin, after its CRM was down longer than the retries: the administration
 * page counts the callbacks that failed in the last 24 hours and sends them again, audited, to the
 * URL the CRM has now. Over HTTP, with a worker delivering to CRM stand-ins.
 */
describe('console: failed callbacks sent again from the administration page', () => {
  let h: EngineHarness;
  let signedIn: ReturnType<typeof consoleStaff>['signedIn'];

  beforeAll(async () => {
    h = await startEngine({ label: 'console_callbacks', config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } } });
    ({ signedIn } = consoleStaff(h));
  }, 30_000);
  afterAll(async () => h?.close());

  it('counts them, sends each again under its webhook-id when an admin asks, and audits it; an agent may not', async () => {
    const [gone, back] = [await scriptedCrm([410]), await scriptedCrm([204])];
    try {
      await h.admin.setCallbackUrl(h.tenantId, gone.url);
      const id = await sendTransactional(h, { to: { phone: mobile() } });
      await finalView(h, id);
      const failed = await expectEventually(async () => {
        const rows = await h.query<{ id: string; status: string }>(`SELECT id, status FROM callbacks WHERE message_id = $1`, [id]);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'failed'));
        return rows;
      });

      const admin = await signedIn('admin');
      const page = await admin.get('/console/admin');
      expect(page.text).toContain(`data-failed-callbacks="${failed.length}"`);
      expect(page.text).toContain('action="/console/admin/callbacks/recover"');

      // An agent cannot reach the administration page's actions.
      const agent = await signedIn('agent');
      expect((await agent.post('/console/admin/callbacks/recover', { _csrf: agent.csrf() })).status).toBe(403);

      await h.admin.setCallbackUrl(h.tenantId, back.url);
      const sent = await admin.post('/console/admin/callbacks/recover', { _csrf: admin.csrf() });
      expect(sent.status).toBe(200);
      expect(sent.text).toContain(`data-recovered="${failed.length}"`);
      await expectEventually(async () => expect(back.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(failed.map((r) => r.id).sort()), { timeoutMs: 10_000 });
      expect(await h.query(`SELECT status FROM callbacks WHERE message_id = $1 AND status <> 'delivered'`, [id])).toEqual([]);
      const audit = await h.query<{ detail: { redelivered: number } }>(`SELECT detail FROM audit_log WHERE tenant_id = $1 AND action = 'callbacks.recover'`, [h.tenantId]);
      expect(audit.map((a) => a.detail.redelivered)).toEqual([failed.length]);
      // Nothing left: the count is back to none and the button is gone.
      const after = await admin.get('/console/admin');
      expect(after.text).toContain('data-failed-callbacks="0"');
      expect(after.text).not.toContain('action="/console/admin/callbacks/recover"');
    } finally {
      await gone.close();
      await back.close();
    }
  }, 40_000);
});

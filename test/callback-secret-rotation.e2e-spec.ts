import { TenantSettingsService } from '@tsunagu/engine';
import { verifyWebhook } from '@tsunagu/security';
import { expectEventually } from '@tsunagu/testing';
import { runCli } from './support/cli-run';
import { CrmReceiver, ReceivedCallback, startCrmReceiver } from './support/crm-receiver';
import { EngineHarness, mobile, startEngine } from './support/engine-harness';

/** Rotating a tenant's callback secret: no callback goes unverifiable while the CRM switches over. */
describe('callback secret rotation', () => {
  let h: EngineHarness;
  let crm: CrmReceiver;
  let tenant: { id: string; callbackSecret: string };
  let key: string;

  beforeAll(async () => {
    crm = await startCrmReceiver();
    h = await startEngine({ label: 'secret_rotation' });
    tenant = await h.admin.createTenant(`rotation-${Date.now()}`, crm.url);
    key = (await h.admin.createApiKey(tenant.id, ['messages:send', 'messages:read'])).token;
  }, 30_000);

  afterAll(async () => {
    await h?.close();
    await crm?.close();
  });

  /** Sends a message and returns the first callback it brought (its message.status for `accepted`…). */
  async function callbackOfANewMessage(): Promise<ReceivedCallback> {
    const res = await fetch(`${h.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `rot-${Math.random()}` },
      body: JSON.stringify({ to: { phone: mobile() }, category: 'transactional', text: 'ローテーションの確認' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return expectEventually(
      async () => {
        const found = crm.received.find((c) => (JSON.parse(c.body) as { messageId: string }).messageId === id);
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs: 10_000 },
    );
  }

  const verifies = (c: ReceivedCallback, secret: string) => verifyWebhook({ secret, headers: c.headers, body: c.body });
  // The worker sees a change within TENANT_FRESH_MS; the test does not wait that long.
  const workerForgets = () => h.worker!.get(TenantSettingsService).forget(tenant.id);

  it('signs with both secrets during the overlap, then with the new one only', async () => {
    const before = await callbackOfANewMessage();
    expect(String(before.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(before, tenant.callbackSecret)).toBe(true);

    const rotated = await h.admin.rotateCallbackSecret(tenant.id, 2);
    expect(rotated.callbackSecret).toMatch(/^whsec_/);
    expect(new Date(rotated.previousUntil!).getTime() - Date.now()).toBeGreaterThan(119 * 60_000);
    workerForgets();
    const during = await callbackOfANewMessage();
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(during, rotated.callbackSecret), verifies(during, tenant.callbackSecret)]).toEqual([true, true]);

    // A leaked secret: rotate with no overlap, and the old one stops at once.
    const again = await h.admin.rotateCallbackSecret(tenant.id, 0);
    expect(again.previousUntil).toBeNull();
    workerForgets();
    const after = await callbackOfANewMessage();
    expect([verifies(after, again.callbackSecret), verifies(after, rotated.callbackSecret), verifies(after, tenant.callbackSecret)]).toEqual([true, false, false]);
  }, 40_000);

  it('the overlap ends by itself at its time', async () => {
    await h.admin.rotateCallbackSecret(tenant.id, 1);
    // As if the hour had passed.
    await h.query(`UPDATE tenants SET callback_secret_prev_until = now() - interval '1 second' WHERE id = $1`, [tenant.id]);
    workerForgets();
    const c = await callbackOfANewMessage();
    expect(String(c.headers['webhook-signature']).split(' ')).toHaveLength(1);
  }, 20_000);

  // runCli scans each run's stderr and stdout for the canaries (the old secrets, the data key…),
  // all but the line that shows the new secret once: that line is the command's result.
  it('the CLI rotates and sets the callback URL, printing the new secret once on the last line', async () => {
    const run = (...args: string[]) => runCli(args, { DATABASE_URL: h.db.url, TSUNAGU_DATA_KEY: h.config.dataKey });
    const rotated = await run('tenant:rotate-callback-secret', tenant.id, '--overlap-hours', '3');
    expect(rotated.status).toBe(0);
    const lines = rotated.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(rotated.shownOnce).toBe(lines.at(-1));
    expect(lines[0]).toMatch(/keeps signing beside the new one until \d{4}-/);
    expect((await run('tenant:set-callback-url', tenant.id, '--none')).status).toBe(0);
    expect((await run('tenant:rotate-callback-secret', 'not-a-uuid')).status).not.toBe(0);
  }, 60_000);
});

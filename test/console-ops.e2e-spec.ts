import { expectEventually } from '@tsunagu/testing';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

const PASSWORD = 'correct horse battery staple';

/**
 * The console's Operations page shows an organisation's admin its own work in hand and its own
 * failures, never another organisation's: the job queues are shared by every tenant, so their
 * depths and failed jobs belong to the platform's operators (`/metrics`), not to this page.
 */
describe("console: an organisation's backlog on the Operations page", () => {
  let h: EngineHarness;
  let b: EngineHarness;

  beforeAll(async () => {
    h = await startEngine({ label: 'console_ops' });
    const other = await h.admin.createTenant(`ops-other-${Date.now()}`);
    b = { ...h, tenantId: other.id, apiKey: (await h.admin.createApiKey(other.id, ['messages:send', 'messages:read', 'admin'])).token };
  });
  afterAll(async () => h?.close());

  async function admin(of: EngineHarness): Promise<ConsoleClient> {
    const email = `admin-${Math.random().toString(36).slice(2, 8)}@example.jp`;
    await h.api.get(StaffService).create(of.tenantId, email, 'admin', PASSWORD);
    const [{ name }] = await h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [of.tenantId]);
    const client = new ConsoleClient(h.baseUrl);
    expect((await client.signIn(name, email, PASSWORD)).status).toBe(303);
    return client;
  }

  async function send(of: EngineHarness, phone: string, channels: string[]): Promise<string> {
    const res = await post(of, '/v1/messages', { to: { phone }, category: 'transactional', text: '発送のお知らせ', channels }, { 'idempotency-key': `ops-${Math.random()}` });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  /** A queue row's counts as the page shows them: waiting, active, delayed. */
  function row(page: string, queue: string): string[] {
    const tr = new RegExp(`<tr data-queue="${queue}">(.*?)</tr>`, 's').exec(page);
    expect(tr).not.toBeNull();
    return [...tr![1].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
  }

  it("lists the viewer's own failed attempts and timers, and nothing of another organisation's", async () => {
    const [mineFailing, theirsFailing, theirsWaiting] = [mobile(), mobile(), mobile()];
    h.providers.sms.script(mineFailing, { send: 'permanent' });
    h.providers.sms.script(theirsFailing, { send: 'permanent' });
    h.providers.sms.script(theirsWaiting, { send: 'accept', then: 'none' });
    const mine = await send(h, mineFailing, ['sms']);
    const theirs = await send(b, theirsFailing, ['sms']);
    const waiting = await send(b, theirsWaiting, ['sms']);
    for (const [of, id] of [[h, mine], [b, theirs]] as const) {
      await expectEventually(async () => expect((await get(of, `/v1/messages/${id}`)).body.status).toBe('failed'));
    }

    // Theirs: a sent SMS waiting on its timeout shows as a timer due later, and their failure is listed.
    const theirAdmin = await admin(b);
    const theirPage = await expectEventually(async () => {
      const page = (await theirAdmin.get('/console/ops')).text;
      expect(Number(row(page, 'timers')[2])).toBeGreaterThanOrEqual(1);
      return page;
    });
    expect(theirPage).toContain(theirs);
    expect(theirPage).not.toContain(mine);

    // Mine, looked at while theirs is still waiting: none of their timers, none of their ids.
    const myPage = (await (await admin(h)).get('/console/ops')).text;
    expect((await get(b, `/v1/messages/${waiting}`)).body.status).toBe('dispatching');
    expect(row(myPage, 'timers')).toEqual(['0', '0', '0']);
    expect(row(myPage, 'send-sms')).toEqual(['0', '0', '0']);
    expect(myPage).toContain(`href="/console/messages/${mine}"`);
    expect(myPage).not.toContain(theirs);
    expect(myPage).not.toContain(waiting);
    expect(myPage).not.toMatch(/send-[0-9a-f]{8}-/); // no job ids from the shared queues
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { StaffRole } from '@tsunagu/database';
import { expectEventually } from '@tsunagu/testing';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

/** Debian's Chromium, never a downloaded browser (`.ci/run` installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = join(__dirname, '..', 'test-output', 'screenshots');
const PASSWORD = 'correct horse battery staple';

/**
 * The console in a real browser: an agent finds a contact by phone and reads the timeline of a
 * message that fell back from RCS to SMS (with the customer's reply); a supervisor reveals the
 * number with a reason and finds both in the audit log; an admin sees operations. Screenshots of
 * each page are kept in test-output/screenshots/.
 */
describe('console: in headless Chromium', () => {
  let h: EngineHarness;
  let browser: Browser;
  let tenantName: string;
  let phone: string;
  let messageId: string;
  const emails: Record<StaffRole, string> = { agent: 'agent@example.jp', supervisor: 'supervisor@example.jp', admin: 'admin@example.jp' };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [h, browser] = await Promise.all([startEngine({ label: 'console_browser' }), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
    tenantName = (await h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [h.tenantId]))[0].name;
    const staff = h.api.get(StaffService);
    for (const role of ['agent', 'supervisor', 'admin'] as const) await staff.create(h.tenantId, emails[role], role, PASSWORD);

    // A notice that RCS accepts but never delivers: withdrawn after its (2 s) timeout, then SMS delivers.
    phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'ご注文の商品を発送しました。', metadata: { reference: 'order-1234' } }, { 'idempotency-key': 'console-browser-1' });
    expect(res.status).toBe(202);
    messageId = res.body.id;
    await expectEventually(async () => expect((await get(h, `/v1/messages/${messageId}`)).body.status).toBe('delivered'), { timeoutMs: 15000 });
    // The customer answers by SMS.
    await h.providers.sms.sink!([{ channel: 'sms', type: 'inbound_message', providerEventId: `mo-${messageId}`, tenantId: h.tenantId, from: { phoneE164: phone }, text: '受け取りました。ありがとう', occurredAt: new Date() }]);
  }, 40000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function signIn(role: StaffRole, lang: 'ja' | 'en' = 'ja'): Promise<Page> {
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${h.baseUrl}/console?lang=${lang}`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel(lang === 'ja' ? '組織' : 'Organisation').fill(tenantName);
    await page.getByLabel(lang === 'ja' ? 'メールアドレス' : 'Email address').fill(emails[role]);
    await page.getByLabel(lang === 'ja' ? 'パスワード' : 'Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: lang === 'ja' ? 'サインイン' : 'Sign in' }).click();
    await page.waitForURL(/\/console\/search$/);
    return page;
  }

  it('lets an agent find the contact by phone and read the fallen-back timeline with the reply', async () => {
    const page = await signIn('agent');
    await page.screenshot({ path: join(SHOTS, 'search.png'), fullPage: true });
    await page.getByLabel('電話番号').check();
    await page.getByLabel('検索語').fill(phone.replace('+81', '0'));
    await page.getByRole('button', { name: '検索', exact: true }).click();
    const result = page.getByRole('link', { name: `+81 90-****-${phone.slice(-4)}` });
    await result.click();
    await page.waitForURL(/\/console\/contacts\//);

    const notice = page.locator(`#m-${messageId}`);
    await expect(notice.locator('tr.attempt[data-channel="rcs"][data-status="revoked"]').textContent()).resolves.toContain('時間内に配信されなかったため次のチャネルへ切り替え');
    await expect(notice.locator('tr.attempt[data-channel="sms"][data-status="delivered"]').count()).resolves.toBe(1);
    await expect(notice.textContent()).resolves.toContain('ご注文の商品を発送しました。');
    const reply = page.locator('li.item.inbound');
    await expect(reply.textContent()).resolves.toContain('受け取りました。ありがとう');
    // Newest first: the reply is above the notice.
    const order = await page.locator('ol.timeline > li').evaluateAll((items) => items.map((i) => i.classList.contains('inbound')));
    expect(order).toEqual([true, false]);
    await expect(page.locator('#phone-masked').textContent()).resolves.toBe(`+81 90-****-${phone.slice(-4)}`);
    await expect(page.content()).resolves.not.toContain(phone.slice(3));
    await expect(page.getByText('電話番号をすべて表示').count()).resolves.toBe(0);
    await page.screenshot({ path: join(SHOTS, 'timeline-agent.png'), fullPage: true });

    // Keyboard: the first Tab lands on the skip link, which moves focus to the main landmark.
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus').getAttribute('class')).resolves.toBe('skip-link');

    for (const path of ['/console/admin', '/console/audit', '/console/ops']) {
      const res = await page.goto(`${h.baseUrl}${path}`);
      expect([path, res?.status()]).toEqual([path, 403]);
    }
    await page.screenshot({ path: join(SHOTS, 'forbidden-agent.png') });
    await page.context().close();
  });

  it('lets a supervisor reveal the number with a reason, and the audit page shows who viewed what', async () => {
    const page = await signIn('supervisor');
    await page.getByLabel('CRM参照番号').check();
    await page.getByLabel('検索語').fill('order-*');
    await page.getByRole('button', { name: '検索', exact: true }).click();
    await expect(page.locator('table.table tbody tr').count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, 'search-results.png'), fullPage: true });
    await page.getByRole('link', { name: `+81 90-****-${phone.slice(-4)}` }).click();
    await page.waitForURL(/\/console\/contacts\//);

    await page.getByText('電話番号をすべて表示').click();
    await page.getByLabel('理由（監査ログに記録されます）').fill('お客様からの問い合わせで本人確認');
    await page.getByRole('button', { name: '番号を表示' }).click();
    await expect(page.locator('#phone-full').textContent()).resolves.toBe(phone);
    await page.screenshot({ path: join(SHOTS, 'timeline-revealed.png'), fullPage: true });

    await page.getByRole('link', { name: '監査ログ' }).click();
    await page.waitForURL(/\/console\/audit/);
    await expect(page.locator('tr[data-action="phone.reveal"]').textContent()).resolves.toContain('お客様からの問い合わせで本人確認');
    await expect(page.locator('tr[data-action="contact.view"]').filter({ hasText: 'staff:agent@example.jp' }).count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await page.getByLabel('操作').selectOption('phone.reveal');
    await page.getByRole('button', { name: '絞り込み' }).click();
    await expect(page.locator('table.audit tbody tr').count()).resolves.toBe(1);

    const audit = await h.query<{ actor: string; action: string; subject_id: string; reason: string | null; detail: unknown }>(
      `SELECT actor, action, subject_id, reason, detail FROM audit_log WHERE action IN ('contact.view', 'phone.reveal') ORDER BY created_at`,
    );
    const contactId = (await h.query<{ contact_id: string }>(`SELECT contact_id FROM messages WHERE id = $1`, [messageId]))[0].contact_id;
    expect(audit.filter((a) => a.action === 'phone.reveal')).toEqual([
      expect.objectContaining({ actor: 'staff:supervisor@example.jp', subject_id: contactId, reason: 'お客様からの問い合わせで本人確認' }),
    ]);
    expect(audit.some((a) => a.action === 'contact.view' && a.actor === 'staff:agent@example.jp' && a.subject_id === contactId)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(phone.slice(3));
    await page.context().close();
  });

  it('shows an admin the operations page and the administration page, in English too', async () => {
    const page = await signIn('admin', 'en');
    await page.goto(`${h.baseUrl}/console/ops`);
    // Each channel's health as a table of the workers' reports, not raw JSON.
    await expect(page.locator('section.health').count()).resolves.toBe(3);
    for (const channel of ['rcs', 'sms', 'line']) {
      const section = page.locator(`section.health[data-channel="${channel}"]`);
      await expect(section.locator('h3').textContent()).resolves.toBe(`${channel.toUpperCase()}: up`);
      await expect(section.locator('tr[data-worker] td .badge-ok').count()).resolves.toBeGreaterThan(0);
      await expect(section.locator('dl.facts dt').first().textContent()).resolves.toBe('scripted');
    }
    await expect(page.locator('section.health').first().textContent()).resolves.not.toContain('{');
    await expect(page.locator('svg.chart rect').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('tr[data-queue="timers"]').count()).resolves.toBe(1);
    await expect(page.locator('tr[data-queue="send-sms"]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, 'ops.png'), fullPage: true });

    await page.getByRole('link', { name: 'Administration' }).click();
    // An API key for 30 days: shown once, listed with its expiry.
    await page.getByLabel('Name', { exact: true }).fill('crm-prod');
    await page.getByRole('checkbox', { name: 'messages:send', exact: true }).check();
    await page.getByLabel('Allowed networks').fill('203.0.113.0/24, 2001:db8::/32');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Issue key' }).click();
    await expect(page.locator('.notice code.secret').textContent()).resolves.toMatch(/^tsk_/);
    const [keyRow] = await h.query<{ expires: boolean; allowed_networks: string[] }>(
      `SELECT expires_at BETWEEN now() + interval '29 days' AND now() + interval '31 days' AS expires, allowed_networks FROM api_keys WHERE name = 'crm-prod'`,
    );
    expect(keyRow).toEqual({ expires: true, allowed_networks: ['203.0.113.0/24', '2001:db8::/32'] });
    // The policy in effect for this organisation, as the operator configured it (the harness: 2 s timeouts).
    const policy = (await page.locator('#policy').textContent())!;
    expect(policy).toContain('OTPSMS');
    expect(policy).toContain('RCS → SMS → LINE');
    expect(policy).toContain('RCS 2s, SMS 2s, LINE 2s');
    // The key form's scope checkboxes sit beside their names (not stretched to a text field's width).
    for (const scope of ['messages:send', 'messages:read', 'admin']) {
      const box = await page.getByRole('checkbox', { name: scope, exact: true }).boundingBox();
      expect(box!.width).toBeLessThan(40);
    }
    await page.getByLabel('Email address').fill('new.agent@example.jp');
    await page.getByLabel('Role').selectOption('agent');
    await page.getByRole('button', { name: 'Create account' }).click();
    const generated = (await page.locator('.notice code.secret').textContent())!;
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await page.screenshot({ path: join(SHOTS, 'admin.png'), fullPage: true });

    // The new agent signs in with it and is asked, before anything else, for a password of their own.
    const fresh = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
    await fresh.goto(`${h.baseUrl}/console/login?lang=en`);
    await fresh.getByLabel('Organisation').fill(tenantName);
    await fresh.getByLabel('Email address').fill('new.agent@example.jp');
    await fresh.getByLabel('Password', { exact: true }).fill(generated);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.waitForURL(/\/console\/password$/);
    await expect(fresh.getByRole('link', { name: 'Search' }).count()).resolves.toBe(0);
    await fresh.getByLabel('Current password').fill(generated);
    await fresh.getByLabel('New password', { exact: true }).fill('my own long passphrase');
    await fresh.getByLabel('New password, again').fill('my own long passphrase');
    await fresh.screenshot({ path: join(SHOTS, 'password.png'), fullPage: true });
    await fresh.getByRole('button', { name: 'Change password' }).click();
    await fresh.waitForURL(/\/console\/search$/);
    await fresh.context().close();

    await page.goto(`${h.baseUrl}/console/messages/${messageId}`);
    await page.waitForURL(/\/console\/contacts\/[0-9a-f-]+/);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.screenshot({ path: join(SHOTS, 'timeline-en.png'), fullPage: true });
    await page.context().close();
  });
});

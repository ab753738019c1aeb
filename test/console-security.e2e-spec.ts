import { createHash } from 'node:crypto';
import type { TsunaguConfig } from '@tsunagu/config';
import { SessionService } from '../apps/console/src/sessions/session.service';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { ConsoleClient, ConsoleResponse } from '../apps/console/src/testing/console-client';
import { SECURE_PAGE, consoleRoutes, securityHeaders } from './support/console-routes';
import { STAFF_PASSWORD, consoleStaff, sendTransactional } from './support/console-staff';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

const PASSWORD = STAFF_PASSWORD;
/** Where the tests that call StaffService directly say they are (as Express's `req.ip`). */
const HERE = '203.0.113.10';
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * The console's security rules over plain HTTP: headers, cookie flags, CSRF (every route's in
 * `console-csrf.e2e-spec.ts`), lock-out, roles,
 * tenant isolation, literal search text (BAD-INPUTS row 29), masked numbers and hidden OTP bodies.
 */
describe('console: security rules over HTTP', () => {
  let h: EngineHarness;
  let staff: StaffService;
  let tenantName: string;
  let otherTenant: { id: string; name: string };
  let phone: string;
  let contactId: string;
  let messageId: string;

  let account: ReturnType<typeof consoleStaff>['account'];
  let signedIn: ReturnType<typeof consoleStaff>['signedIn'];
  const send = (body: Record<string, unknown>) => sendTransactional(h, body);

  beforeAll(async () => {
    h = await startEngine({ label: 'console_http', startWorker: false });
    const staffOf = consoleStaff(h);
    ({ staff, account, signedIn } = staffOf);
    tenantName = await staffOf.tenantName();
    const other = await h.admin.createTenant(`other-${Math.random().toString(36).slice(2, 8)}`);
    otherTenant = { id: other.id, name: (await h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [other.id]))[0].name };
    phone = mobile();
    messageId = await send({ to: { phone }, metadata: { reference: 'order_1%x' } });
    await send({ to: { phone }, metadata: { reference: 'order-100' } });
    await send({ to: { phone }, metadata: { reference: "' OR 1=1 --" } });
    contactId = (await h.query<{ contact_id: string }>(`SELECT contact_id FROM messages WHERE id = $1`, [messageId]))[0].contact_id;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('sends the security headers and sets HttpOnly, SameSite=Strict cookies (Secure only over https)', async () => {
    const client = new ConsoleClient(h.baseUrl);
    const page = await client.get('/console/login');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(securityHeaders(page)).toEqual(SECURE_PAGE);
    // Plain http, and no proxy this engine trusts to say otherwise: no HSTS.
    expect(page.headers.get('strict-transport-security')).toBeNull();
    expect((await new ConsoleClient(h.baseUrl, { 'x-forwarded-proto': 'https' }).get('/console/login')).headers.get('strict-transport-security')).toBeNull();
    expect(page.text).not.toMatch(/<script>|<script [^>]*>[^<]|style="/);
    const css = await client.get('/console/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');

    const email = await account('agent');
    const res = await client.post('/console/login', { _csrf: client.csrf(), tenant: tenantName, email, password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/search');
    const session = res.setCookies.find((c) => c.startsWith('tsunagu_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).not.toMatch(/Secure/);
    // Only the SHA-256 of the token is stored.
    const token = client.cookies.get('tsunagu_session')!;
    const rows = await h.query<{ id: string }>(`SELECT id FROM staff_sessions`);
    expect(rows.map((r) => r.id)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(rows.map((r) => r.id)).not.toContain(token);

    // A client's own claim to be on https, with no proxy this engine trusts: not believed, as for HSTS.
    const claimed = new ConsoleClient(h.baseUrl, { 'x-forwarded-proto': 'https' });
    const viaClaim = await claimed.signIn(tenantName, email, PASSWORD);
    expect(viaClaim.setCookies.find((c) => c.startsWith('tsunagu_session='))).not.toMatch(/Secure/);
  });

  it('sends the same headers on signed-in pages with personal data, on error pages and on refusals', async () => {
    const sup = await signedIn('supervisor');
    const agent = await signedIn('agent');
    const answers: [string, ConsoleResponse][] = [
      ['a timeline', await sup.get(`/console/contacts/${contactId}`)],
      ['the audit log', await sup.get('/console/audit')],
      ['the audit CSV', await sup.get('/console/audit/csv?action=staff.login')],
      ['a 404 page', await sup.get('/console/contacts/0190a000-0000-7000-8000-000000000000')],
      ['a 403 page', await agent.get('/console/admin')],
      ['a CSRF refusal', await sup.post('/console/search', { type: 'phone', q: phone })],
    ];
    expect(answers.map(([what, res]) => [what, res.status])).toEqual([
      ['a timeline', 200],
      ['the audit log', 200],
      ['the audit CSV', 200],
      ['a 404 page', 404],
      ['a 403 page', 403],
      ['a CSRF refusal', 403],
    ]);
    for (const [what, res] of answers) expect([what, securityHeaders(res)]).toEqual([what, SECURE_PAGE]);
    expect(answers[0][1].text).toContain(`+81 90-****-${phone.slice(-4)}`); // personal data, kept out of every cache
  });

  it('refuses a sign-in without its CSRF token, and any state change without the session token', async () => {
    const client = new ConsoleClient(h.baseUrl);
    await client.get('/console/login');
    const email = await account('supervisor');
    const bare = await client.post('/console/login', { tenant: tenantName, email, password: PASSWORD });
    expect(bare.status).toBe(403);
    expect(bare.setCookies.some((c) => c.startsWith('tsunagu_session='))).toBe(false);

    const sup = await signedIn('supervisor');
    const before = await h.query(`SELECT 1 FROM audit_log WHERE action = 'phone.reveal'`);
    const forms: Record<string, string>[] = [{ reason: 'customer called' }, { reason: 'customer called', _csrf: 'x'.repeat(43) }];
    for (const form of forms) {
      const res = await sup.post(`/console/contacts/${contactId}/reveal`, form);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(phone);
    }
    expect((await sup.post('/console/search', { type: 'phone', q: phone })).status).toBe(403);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE action = 'phone.reveal'`)).toHaveLength(before.length);
    // A token from another session is no good either.
    const other = await signedIn('supervisor');
    expect((await sup.post(`/console/contacts/${contactId}/reveal`, { reason: 'customer called', _csrf: other.csrf() })).status).toBe(403);
  });

  it('locks an account after 5 failed sign-ins from one address, even against the right password', async () => {
    const email = await account('agent');
    const client = new ConsoleClient(h.baseUrl);
    for (let i = 0; i < 5; i += 1) expect((await client.signIn(tenantName, email, `wrong password ${i}`)).status).toBe(401);
    const locked = await client.signIn(tenantName, email, PASSWORD);
    expect(locked.status).toBe(401);
    expect(locked.setCookies.some((c) => c.startsWith('tsunagu_session='))).toBe(false);
    // Locked from this client's address (every client here is 127.0.0.1), not for everyone.
    const [row] = await h.query<{ locked: boolean; everyone: boolean; password_hash: string }>(
      `SELECT f.locked_until > now() + interval '14 minutes' AS locked, coalesce(s.locked_until > now(), false) AS everyone, s.password_hash
       FROM staff s JOIN staff_login_failures f ON f.staff_id = s.id WHERE s.email = $1`,
      [email],
    );
    expect([row.locked, row.everyone]).toEqual([true, false]);
    // The service says so too: the failure that locks reports it (the page does not tell the guesser).
    const direct = await account('agent');
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await staff.signIn(tenantName, direct, `wrong password ${i}`, HERE));
    expect(answers.map((a) => (a.ok ? 'ok' : [a.locked, !!a.wrongPassword]))).toEqual([...Array(4).fill([false, true]), [true, true], [true, false]]);
    // Each wrong password on the real account is audited, the one that locked it saying so; the
    // attempt on the locked account checked no password and wrote nothing.
    const audited = await h.query<{ subject_id: string; detail: { locked: boolean } }>(
      `SELECT subject_id, detail FROM audit_log WHERE action = 'staff.login_failed' AND actor = $1 ORDER BY created_at, id`,
      [`staff:${email}`],
    );
    expect(audited.map((a) => a.detail.locked)).toEqual([false, false, false, false, true]);
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    // An unknown account and a wrong tenant answer exactly like a wrong password.
    expect((await client.signIn(tenantName, 'nobody@example.jp', PASSWORD)).status).toBe(401);
    expect((await client.signIn(otherTenant.name, email, PASSWORD)).status).toBe(401);
  });

  it('makes an account on a generated password choose its own before anything else, and ends its other sessions', async () => {
    const admin = await signedIn('admin');
    const email = `fresh-${Math.random().toString(36).slice(2, 8)}@example.jp`;
    const made = await admin.post('/console/admin/staff', { _csrf: admin.csrf(), email, role: 'agent' });
    expect(made.status).toBe(201);
    const generated = /<code class="secret">([^<]+)<\/code>/.exec(made.text)![1];
    const [first, second, third] = [new ConsoleClient(h.baseUrl), new ConsoleClient(h.baseUrl), new ConsoleClient(h.baseUrl)];
    for (const c of [first, second, third]) expect((await c.signIn(tenantName, email, generated)).status).toBe(303);

    // Every page, read or write, leads to the password form; nothing is searched meanwhile.
    for (const res of [await first.get('/console/search'), await first.get(`/console/contacts/${contactId}`)]) {
      expect([res.status, res.headers.get('location')]).toEqual([303, '/console/password']);
    }
    const form = await first.get('/console/password');
    expect(form.status).toBe(200);
    expect(form.text).toContain('id="password-required"');
    const post = await first.post('/console/search', { _csrf: first.csrf(), type: 'phone', q: phone });
    expect([post.status, post.headers.get('location')]).toEqual([303, '/console/password']);
    await first.get('/console/password');
    // Signing out still works.
    await third.get('/console/password');
    expect((await third.post('/console/logout', { _csrf: third.csrf() })).headers.get('location')).toBe('/console/login');

    const chosen = 'a phrase of my own choosing 42';
    const attempts: [Record<string, string>, string][] = [
      [{ current: 'not the password at all', next: chosen, repeat: chosen }, 'password.problem.current'],
      [{ current: generated, next: chosen, repeat: `${chosen}!` }, 'mismatch'],
      [{ current: generated, next: 'short', repeat: 'short' }, 'length'],
      [{ current: generated, next: 'x'.repeat(257), repeat: 'x'.repeat(257) }, 'length'],
      [{ current: generated, next: generated, repeat: generated }, 'same'],
    ];
    for (const [fields] of attempts) {
      const res = await first.post('/console/password', { _csrf: first.csrf(), ...fields });
      expect(res.status).toBe(400);
      expect(res.text).toContain('id="password-error"');
    }
    const changed = await first.post('/console/password', { _csrf: first.csrf(), current: generated, next: chosen, repeat: chosen });
    expect([changed.status, changed.headers.get('location')]).toEqual([303, '/console/search']);
    expect((await first.get('/console/search')).status).toBe(200);
    // The other session on the generated password has ended; the old password no longer signs in.
    expect((await second.get('/console/search')).headers.get('location')).toBe('/console/login');
    expect((await new ConsoleClient(h.baseUrl).signIn(tenantName, email, generated)).status).toBe(401);
    expect((await new ConsoleClient(h.baseUrl).signIn(tenantName, email, chosen)).headers.get('location')).toBe('/console/search');

    const [row] = await h.query<{ must_change_password: boolean; changed: boolean }>(`SELECT must_change_password, password_changed_at IS NOT NULL AS changed FROM staff WHERE email = $1`, [email]);
    expect(row).toEqual({ must_change_password: false, changed: true });
    const audited = await h.query<{ action: string; detail: { wasGenerated?: boolean } | null }>(
      `SELECT action, detail FROM audit_log WHERE actor = $1 AND action IN ('contact.search', 'contact.view', 'staff.password_change') ORDER BY created_at, id`,
      [`staff:${email}`],
    );
    expect(audited).toEqual([{ action: 'staff.password_change', detail: { wasGenerated: true } }]);

    // Forgotten: an admin resets it. Its sessions end, the old password stops working, and the
    // one-time password the admin sees must be replaced again at the next sign-in.
    const staffId = (await h.query<{ id: string }>(`SELECT id FROM staff WHERE email = $1`, [email]))[0].id;
    await admin.get('/console/admin');
    const reset = await admin.post(`/console/admin/staff/${staffId}/reset-password`, { _csrf: admin.csrf() });
    expect(reset.status).toBe(200);
    const oneTime = /<code class="secret">([^<]+)<\/code>/.exec(reset.text)![1];
    expect(oneTime).not.toBe(generated);
    expect((await first.get('/console/search')).headers.get('location')).toBe('/console/login');
    expect((await new ConsoleClient(h.baseUrl).signIn(tenantName, email, chosen)).status).toBe(401);
    const again = new ConsoleClient(h.baseUrl);
    await again.signIn(tenantName, email, oneTime);
    expect((await again.get('/console/search')).headers.get('location')).toBe('/console/password');
    expect(await h.query(`SELECT actor FROM audit_log WHERE action = 'staff.password_reset' AND subject_id = $1`, [staffId])).toHaveLength(1);
    // An admin's own password is changed on the Password page, not reset.
    const self = (
      await h.query<{ id: string }>(`SELECT s.id FROM staff s JOIN audit_log a ON a.actor = 'staff:' || s.email WHERE a.action = 'staff.password_reset' AND a.subject_id = $1`, [staffId])
    )[0].id;
    expect((await admin.post(`/console/admin/staff/${self}/reset-password`, { _csrf: admin.csrf() })).status).toBe(400);
  });

  it('counts wrong current passwords on the password form toward the lock, which ends the session', async () => {
    const email = await account('agent');
    const client = new ConsoleClient(h.baseUrl);
    await client.signIn(tenantName, email, PASSWORD);
    await client.get('/console/password');
    const statuses = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await client.post('/console/password', { _csrf: client.csrf(), current: `a wrong guess ${i}`, next: 'a new passphrase 1', repeat: 'a new passphrase 1' })).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400]);
    expect((await client.get('/console/search')).headers.get('location')).toBe('/console/login');
    expect((await new ConsoleClient(h.baseUrl).signIn(tenantName, email, PASSWORD)).status).toBe(401);
  });

  it('checks at most 5 passwords however many guesses arrive at once, and a locked account answers as slowly as an unknown one', async () => {
    const email = await account('agent');
    // Sent together, every guess would read "not locked" before the first one finished hashing.
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => staff.signIn(tenantName, email, `parallel guess ${i}`, HERE)));
    expect(guesses.filter((g) => !g.ok && g.wrongPassword)).toHaveLength(5);
    expect(guesses.filter((g) => !g.ok && g.locked && g.wrongPassword)).toHaveLength(1);
    expect((await staff.signIn(tenantName, email, PASSWORD, HERE)).ok).toBe(false);

    // A locked account must not answer at once while an unknown one hashes a decoy.
    const time = async (who: string) => {
      const started = performance.now();
      await staff.signIn(tenantName, who, 'a wrong guess at timing', HERE);
      return performance.now() - started;
    };
    const locked: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      locked.push(await time(email));
      unknown.push(await time('nobody-at-all@example.jp'));
    }
    expect(Math.min(...locked)).toBeGreaterThan(Math.min(...unknown) / 2);
  });

  it('audits each wrong current password on the password form, at most 5 however many arrive at once', async () => {
    const email = await account('agent');
    const client = new ConsoleClient(h.baseUrl);
    await client.signIn(tenantName, email, PASSWORD);
    await client.get('/console/password');
    const csrf = client.csrf();
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.post('/console/password', { _csrf: csrf, current: `a parallel guess ${i}`, next: 'a new passphrase 1', repeat: 'a new passphrase 1' })),
    );
    const audited = await h.query<{ detail: { locked: boolean } }>(`SELECT detail FROM audit_log WHERE action = 'staff.password_change_failed' AND actor = $1`, [`staff:${email}`]);
    expect(audited.map((a) => a.detail.locked).sort()).toEqual([false, false, false, false, true]);
    expect((await client.get('/console/search')).headers.get('location')).toBe('/console/login');
  });

  it('audits signing out, and starts no session for a password that changed while it was being checked', async () => {
    const email = await account('agent');
    const client = new ConsoleClient(h.baseUrl);
    await client.signIn(tenantName, email, PASSWORD);
    await client.get('/console/search');
    expect((await client.post('/console/logout', { _csrf: client.csrf() })).headers.get('location')).toBe('/console/login');
    expect(await h.query(`SELECT 1 FROM audit_log WHERE action = 'staff.logout' AND actor = $1`, [`staff:${email}`])).toHaveLength(1);

    // The password checks out, then an admin resets it (ending every session) before the session
    // is made: the old password must not open one afterwards.
    const checked = await staff.signIn(tenantName, email, PASSWORD, HERE);
    if (!checked.ok) throw new Error('the right password was refused');
    expect(await staff.resetPassword(checked.staff.tenantId, checked.staff.id)).not.toBeNull();
    expect(await h.api.get(SessionService).create(checked.staff)).toBeNull();
    expect(await h.query(`SELECT 1 FROM staff_sessions WHERE staff_id = $1`, [checked.staff.id])).toHaveLength(0);
  });

  it('sends anyone without a session to the sign-in page', async () => {
    const anon = new ConsoleClient(h.baseUrl);
    for (const path of ['/console/search', `/console/contacts/${contactId}`, '/console/audit', '/console/admin', '/console/ops']) {
      const res = await anon.get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/console/login']);
    }
    expect((await anon.post('/console/search', { type: 'phone', q: phone })).status).toBe(303);
  });

  it('shows an agent the masked number only; reveal, audit, operations and admin pages are 403', async () => {
    const agent = await signedIn('agent');
    const page = await agent.get(`/console/contacts/${contactId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`+81 90-****-${phone.slice(-4)}`);
    expect(page.text).not.toContain(phone.slice(3));
    expect(page.text).not.toContain('/reveal');
    const reveal = await agent.post(`/console/contacts/${contactId}/reveal`, { _csrf: agent.csrf(), reason: 'just curious' });
    expect(reveal.status).toBe(403);
    expect(reveal.text).not.toContain(phone.slice(3));
    for (const path of ['/console/admin', '/console/audit', '/console/audit/csv', '/console/ops']) expect([path, (await agent.get(path)).status]).toEqual([path, 403]);
    const create = await agent.post('/console/admin/staff', { _csrf: agent.csrf(), email: 'sneaky@example.jp', role: 'admin' });
    expect(create.status).toBe(403);
    expect(await h.query(`SELECT 1 FROM staff WHERE email = 'sneaky@example.jp'`)).toHaveLength(0);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE action = 'phone.reveal' AND actor LIKE 'staff:agent-%'`)).toHaveLength(0);
  });

  it("keeps another tenant's staff away from this tenant's contacts and messages", async () => {
    const email = `outsider@example.jp`;
    await staff.create(otherTenant.id, email, 'admin', PASSWORD);
    const outsider = new ConsoleClient(h.baseUrl);
    expect((await outsider.signIn(otherTenant.name, email, PASSWORD)).status).toBe(303);
    await outsider.get('/console/search');
    expect((await outsider.get(`/console/contacts/${contactId}`)).status).toBe(404);
    expect((await outsider.get(`/console/messages/${messageId}`)).status).toBe(404);
    for (const [type, q] of [['phone', phone], ['message', messageId], ['ref', 'order-100'], ['ref', 'order*']]) {
      const res = await outsider.post('/console/search', { _csrf: outsider.csrf(), type, q });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(contactId);
      expect(res.text).toMatch(/該当するものはありません|Nothing found/);
    }
    const sup = await outsider.post(`/console/contacts/${contactId}/reveal`, { _csrf: outsider.csrf(), reason: 'customer called' });
    expect(sup.status).toBe(404);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE tenant_id = $1 AND subject_id = $2`, [otherTenant.id, contactId])).toHaveLength(0);
  });

  describe("another tenant's admin, on every console route that takes an id", () => {
    type Ids = { messageId: string; contactId: string; staffId: string; senderId: string; keyId: string };
    // Every row has all three cells: jest would take a missing one for a `done` callback.
    const routes: [string, string, (i: Ids) => string][] = [
      ['GET', 'a message', (i) => `/console/messages/${i.messageId}`],
      ['GET', 'a contact', (i) => `/console/contacts/${i.contactId}`],
      ['POST', 'reveal a number', (i) => `/console/contacts/${i.contactId}/reveal`],
      ['POST', "erase a person's data", (i) => `/console/contacts/${i.contactId}/erase`],
      ['POST', 'disable staff', (i) => `/console/admin/staff/${i.staffId}/disable`],
      ['POST', 'unlock staff', (i) => `/console/admin/staff/${i.staffId}/unlock`],
      ['POST', 'reset the password of staff', (i) => `/console/admin/staff/${i.staffId}/reset-password`],
      ['POST', 'suspend a sender', (i) => `/console/admin/senders/${i.senderId}/suspend`],
      ['POST', 'revoke an API key', (i) => `/console/admin/keys/${i.keyId}/revoke`],
    ];
    let outsider: ConsoleClient;
    let victim: ConsoleClient;
    let ids: Ids;

    beforeAll(async () => {
      outsider = new ConsoleClient(h.baseUrl);
      expect((await outsider.signIn(otherTenant.name, await account('admin', otherTenant.id), PASSWORD)).status).toBe(303);
      await outsider.get('/console/search');
      const email = await account('agent');
      victim = new ConsoleClient(h.baseUrl);
      expect((await victim.signIn(tenantName, email, PASSWORD)).status).toBe(303);
      const staffId = (await h.query<{ id: string }>(`SELECT id FROM staff WHERE tenant_id = $1 AND email = $2`, [h.tenantId, email]))[0].id;
      const sender = await post(h, '/v1/senders', { address: `0005${100000 + Math.floor(Math.random() * 900000)}`, routes: [] });
      expect(sender.status).toBe(201);
      const key = await h.admin.createApiKey(h.tenantId, ['messages:read']);
      ids = { messageId, contactId, staffId, senderId: sender.body.id, keyId: key.id };
    });

    it.each(routes)("%s %s of this tenant → 404, and nothing changes", async (method, _name, path) => {
      const res = method === 'GET' ? await outsider.get(path(ids)) : await outsider.post(path(ids), { _csrf: outsider.csrf(), reason: 'customer called', confirm: 'yes' });
      expect(res.status).toBe(404);
      const [account] = await h.query<{ disabled_at: Date | null; must_change_password: boolean }>(`SELECT disabled_at, must_change_password FROM staff WHERE id = $1`, [ids.staffId]);
      expect(account.must_change_password).toBe(false);
      expect((await h.query<{ erased_at: Date | null }>(`SELECT erased_at FROM contacts WHERE id = $1`, [ids.contactId]))[0].erased_at).toBeNull();
      const [sender] = await h.query<{ state: string }>(`SELECT state FROM senders WHERE id = $1`, [ids.senderId]);
      const [key] = await h.query<{ revoked_at: Date | null }>(`SELECT revoked_at FROM api_keys WHERE id = $1`, [ids.keyId]);
      expect([account.disabled_at, sender.state, key.revoked_at]).toEqual([null, 'requested', null]);
      // The account's session was not ended either (disabling signs an account out).
      expect((await victim.get('/console/search')).status).toBe(200);
      expect(await h.query(`SELECT 1 FROM audit_log WHERE tenant_id = $1 AND subject_id IN ($2, $3, $4, $5)`, [otherTenant.id, ids.contactId, ids.staffId, ids.senderId, ids.keyId])).toHaveLength(0);
    });

    it.each(routes)('%s %s with a phone number where the id belongs → 400 or 404, never a 500', async (method, _name, path) => {
      const insider = await signedIn('admin');
      const notAnId = '+819012345678';
      const at = path({ messageId: notAnId, contactId: notAnId, staffId: notAnId, senderId: notAnId, keyId: notAnId });
      const res = method === 'GET' ? await insider.get(at) : await insider.post(at, { _csrf: insider.csrf(), reason: 'customer called', confirm: 'yes' });
      expect([400, 404]).toContain(res.status);
    });

    it("the table covers every console route with an id, as the console's controllers declare them", () => {
      const withId = consoleRoutes().filter((route) => route.includes('/:'));
      expect(withId.length).toBeGreaterThanOrEqual(5);
      const placeholders = { messageId: 'x1', contactId: 'x1', staffId: 'x1', senderId: 'x1', keyId: 'x1' };
      const covered = routes.map(([method, , path]) => `${method} ${path(placeholders)}`);
      const uncovered = withId.filter((route) => {
        const pattern = new RegExp(`^${route.replace(/:[a-zA-Z]+/g, '[^/]+')}$`);
        return !covered.some((c) => pattern.test(c));
      });
      expect(uncovered).toEqual([]);
    });
  });

  it('treats SQL and LIKE syntax in search text literally (BAD-INPUTS row 29)', async () => {
    const agent = await signedIn('agent');
    const search = async (type: string, q: string) => {
      const res = await agent.post('/console/search', { _csrf: agent.csrf(), type, q });
      expect(res.status).toBe(200);
      return (res.text.match(/<code>[0-9a-f-]{36}<\/code>/g) ?? []).length;
    };
    for (const q of ["'; DROP TABLE messages;--", '%', '_', '\\', '%*', '_*', "' OR '1'='1"]) expect([q, await search('ref', q)]).toEqual([q, 0]);
    expect(await search('ref', "' OR 1=1 --")).toBe(1); // a reference that really is that text
    expect(await search('ref', 'order_1%x')).toBe(1);
    expect(await search('ref', 'order_*')).toBe(1); // "_" is literal: order-100 does not match
    expect(await search('ref', 'order*')).toBe(2);
    expect(await search('ref', 'order-1*')).toBe(1);
    const injected = await agent.post('/console/search', { _csrf: agent.csrf(), type: 'phone', q: "' OR 1=1 --" });
    expect(injected.text).toMatch(/有効な電話番号ではありません|not a valid phone number/);
    const badId = await agent.post('/console/search', { _csrf: agent.csrf(), type: 'message', q: "1' OR '1'='1" });
    expect(badId.text).toMatch(/UUID/);
    expect(await h.query(`SELECT count(*) FROM messages`)).toEqual([{ count: '3' }]);
    // The phone search finds the contact through the blind index, from the national form too.
    const found = await agent.post('/console/search', { _csrf: agent.csrf(), type: 'phone', q: phone.replace('+81', '0') });
    expect(found.text).toContain(`/console/contacts/${contactId}`);
  });

  it('never shows the text of an OTP, even while it is still in flight', async () => {
    const otpPhone = mobile();
    const id = await send({ to: { phone: otpPhone }, category: 'otp', text: '認証コード 482913 を入力してください' });
    const [row] = await h.query<{ contact_id: string; text: string }>(`SELECT contact_id, text FROM messages WHERE id = $1`, [id]);
    expect(row.text).toContain('482913'); // in flight: the engine has not wiped it yet
    const agent = await signedIn('supervisor');
    const page = await agent.get(`/console/contacts/${row.contact_id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('482913');
    expect(page.text).toMatch(/ワンタイムパスワード: 本文は表示されません|One-time code/);
  });

  it('audits every view and reveal, filters the log and exports it as CSV', async () => {
    const agent = await signedIn('agent');
    await agent.get(`/console/contacts/${contactId}`);
    const sup = await signedIn('supervisor');
    const tooShort = await sup.post(`/console/contacts/${contactId}/reveal`, { _csrf: sup.csrf(), reason: 'x' });
    expect(tooShort.status).toBe(400);
    // The reason is kept in the audit log, which never holds a number: one typed into it is refused.
    const withNumber = await sup.post(`/console/contacts/${contactId}/reveal`, { _csrf: sup.csrf(), reason: `お客様 ${phone} から電話` });
    expect([withNumber.status, withNumber.text.includes(phone)]).toEqual([400, false]);
    expect(await h.query(`SELECT 1 FROM audit_log WHERE reason LIKE $1`, [`%${phone.slice(-4)}%`])).toHaveLength(0);
    const revealed = await sup.post(`/console/contacts/${contactId}/reveal`, { _csrf: sup.csrf(), reason: '=HYPERLINK("x") お客様から本人確認の電話' });
    expect(revealed.status).toBe(200);
    expect(revealed.text).toContain(phone);
    // The language switch on the answer leads to the timeline (a GET of the form's address is a
    // 404), and shows the number masked again: a reveal is never repeated by a link.
    expect(revealed.text).toContain(`<p class="lang"><a href="/console/contacts/${contactId}?lang=en"`);
    const switched = await sup.get(`/console/contacts/${contactId}?lang=en`);
    expect(switched.status).toBe(200);
    expect(switched.text).not.toContain(phone);
    const rows = await h.query<{ actor: string; reason: string; detail: unknown }>(`SELECT actor, reason, detail FROM audit_log WHERE action = 'phone.reveal' AND subject_id = $1`, [contactId]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(phone.slice(3));

    const log = await sup.get('/console/audit?action=phone.reveal');
    expect(log.status).toBe(200);
    expect(log.text).toContain(rows[0].actor);
    expect(log.text).not.toContain('data-action="contact.view"');
    const csv = await sup.get(`/console/audit/csv?action=contact.view&actor=${encodeURIComponent('staff:agent-')}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('attachment');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toContain('"actor","action"');
    expect(lines.slice(1).every((l) => l.includes('"contact.view"') && l.includes('"staff:agent-'))).toBe(true);
    expect(lines.length).toBeGreaterThan(1);
    const all = await sup.get('/console/audit/csv?action=phone.reveal');
    expect(all.text).toContain(`"'=HYPERLINK(""x"") お客様から本人確認の電話"`);
  });

  it('audits every search: who looked for what and what it found, a number kept masked', async () => {
    const agent = await signedIn('agent');
    const search = (type: string, q: string) => agent.post('/console/search', { _csrf: agent.csrf(), type, q });
    const unknown = mobile();
    await search('phone', phone.replace('+81', '0'));
    await search('phone', unknown);
    await search('message', messageId);
    await search('ref', 'order*');
    await search('phone', 'not a number'); // looked nothing up: no row
    const actor = (await h.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'staff.login' ORDER BY created_at DESC LIMIT 1`))[0].actor;
    const rows = await h.query<{ subject_type: string; subject_id: string; detail: { by: string; found: number } }>(
      `SELECT subject_type, subject_id, detail FROM audit_log WHERE action = 'contact.search' AND actor = $1 ORDER BY created_at, id`,
      [actor],
    );
    expect(rows.map((r) => [r.subject_type, r.subject_id, r.detail.by, r.detail.found])).toEqual([
      ['contact', contactId, 'phone', 1],
      ['phone', `+81 ${unknown.slice(3, 5)}-****-${unknown.slice(-4)}`, 'phone', 0],
      ['message', messageId, 'message', 1],
      ['crm_ref', 'order*', 'ref', 2],
    ]);
    expect(JSON.stringify(rows)).not.toContain(unknown.slice(3));
    const sup = await signedIn('supervisor');
    const log = await sup.get('/console/audit?action=contact.search');
    expect(log.text).toContain(`href="/console/messages/${messageId}"`);
  });

  it("lets an admin, and only an admin, erase a person's data with a request reference", async () => {
    const target = mobile();
    const sent = await send({ to: { phone: target } });
    const target_contact = (await h.query<{ contact_id: string }>(`SELECT contact_id FROM messages WHERE id = $1`, [sent]))[0].contact_id;
    const sup = await signedIn('supervisor');
    const supPage = await sup.get(`/console/contacts/${target_contact}`);
    expect(supPage.text).not.toContain('/erase');
    expect((await sup.post(`/console/contacts/${target_contact}/erase`, { _csrf: sup.csrf(), reason: '削除依頼 #1234', confirm: 'yes' })).status).toBe(403);

    const admin = await signedIn('admin');
    const page = await admin.get(`/console/contacts/${target_contact}`);
    expect(page.text).toContain(`action="/console/contacts/${target_contact}/erase"`);
    // Without a reference or the confirmation: refused, nothing erased.
    for (const form of [{ reason: '', confirm: 'yes' }, { reason: '削除依頼 #1234' }] as Record<string, string>[]) {
      const res = await admin.post(`/console/contacts/${target_contact}/erase`, { _csrf: admin.csrf(), ...form });
      expect(res.status).toBe(400);
      expect(res.text).toContain('id="erase-error"');
    }
    // This harness runs no worker: the message is still in flight, so erasure waits for it.
    const inFlight = await admin.post(`/console/contacts/${target_contact}/erase`, { _csrf: admin.csrf(), reason: '削除依頼 #1234', confirm: 'yes' });
    expect(inFlight.status).toBe(409);
    expect((await h.query<{ erased_at: Date | null }>(`SELECT erased_at FROM contacts WHERE id = $1`, [target_contact]))[0].erased_at).toBeNull();
    await h.query(`UPDATE messages SET status = 'cancelled', completed_at = now(), due_at = NULL WHERE id = $1`, [sent]);
    const erased = await admin.post(`/console/contacts/${target_contact}/erase`, { _csrf: admin.csrf(), reason: '削除依頼 #1234', confirm: 'yes' });
    expect([erased.status, erased.headers.get('location')]).toEqual([303, `/console/contacts/${target_contact}`]);
    const after = await admin.get(`/console/contacts/${target_contact}`);
    expect(after.text).toContain('id="erased"');
    expect(after.text).not.toContain('/erase"');
    const audit = await h.query<{ actor: string; reason: string }>(`SELECT actor, reason FROM audit_log WHERE action = 'contact.erase' AND subject_id = $1`, [target_contact]);
    expect(audit).toEqual([{ actor: expect.stringMatching(/^staff:admin-/), reason: '削除依頼 #1234' }]);
  });

  it('speaks Japanese by default and English on request, with Japanese-time dates', async () => {
    const client = new ConsoleClient(h.baseUrl);
    expect((await client.get('/console/login')).text).toContain('<html lang="ja">');
    const en = await client.get('/console/login?lang=en');
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Sign in');
    expect(en.text).toContain('href="/console/login?lang=ja"');
    expect((await client.get('/console/login')).text).toContain('<html lang="en">');
    const sup = await signedIn('supervisor');
    const page = await sup.get(`/console/contacts/${contactId}`);
    expect(page.text).toMatch(/\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} JST/);
    expect(page.text).toContain(`href="/console/contacts/${contactId}?lang=en"`);
    expect((await sup.get('/console/search')).text).toContain('<a href="/console/search" aria-current="page">');
  });

  it('refuses a form over 16 kB or 50 fields with 413 and a plain answer, before any route runs', async () => {
    const admin = await signedIn('admin');
    await admin.get('/console/admin');
    const email = `bulky-${Math.random().toString(36).slice(2, 8)}@example.jp`;
    const audited = async () => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`))[0].n;
    const before = await audited();
    const form = { _csrf: admin.csrf(), email, role: 'agent' };
    const fields = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, 'x']));
    const refused = [
      await admin.post('/console/admin/staff', { ...form, note: 'x'.repeat(16 * 1024) }),
      await admin.post('/console/admin/staff', { ...form, ...fields }),
      await admin.post('/console/search', { _csrf: admin.csrf(), type: 'phone', q: phone, ...fields }),
    ];
    for (const res of refused) {
      expect([res.status, res.headers.get('content-type'), res.text]).toEqual([413, 'text/plain; charset=utf-8', 'フォームが大きすぎます（16 kB、50 項目まで）。何も変更されていません。']);
      expect(securityHeaders(res)).toEqual(SECURE_PAGE);
    }
    const en = await admin.post('/console/admin/staff?lang=en', { ...form, ...fields });
    expect([en.status, en.text]).toEqual([413, 'This form is too large (at most 16 kB and 50 fields). Nothing was changed.']);
    expect(await h.query(`SELECT 1 FROM staff WHERE email = $1`, [email])).toHaveLength(0);
    expect(await audited()).toBe(before);
    // The same form within both limits is taken: the refusals above were the size, nothing else.
    const taken = await admin.post('/console/admin/staff', { ...form, note: 'x'.repeat(8 * 1024), ...Object.fromEntries(Object.entries(fields).slice(0, 46)) });
    expect(taken.status).toBe(201);
    expect(await h.query(`SELECT 1 FROM staff WHERE email = $1`, [email])).toHaveLength(1);
  });

  describe('served as https (public URL https, behind a proxy it trusts)', () => {
    let tls: EngineHarness;
    let tlsTenant: string;
    let tlsStaff: StaffService;

    beforeAll(async () => {
      tls = await startEngine({
        label: 'console_https',
        startWorker: false,
        config: { publicUrl: 'https://console.example.jp', http: { trustProxy: 'loopback' } as TsunaguConfig['http'] },
      });
      tlsStaff = tls.api.get(StaffService);
      tlsTenant = (await tls.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [tls.tenantId]))[0].name;
    });
    afterAll(async () => {
      await tls?.close();
    });

    async function tlsAccount(): Promise<string> {
      const email = `tls-${Math.random().toString(36).slice(2, 8)}@example.jp`;
      await tlsStaff.create(tls.tenantId, email, 'supervisor', PASSWORD);
      return email;
    }

    it('asks for https only (HSTS) on every answer that came over TLS through the proxy: pages, errors, refusals', async () => {
      const client = new ConsoleClient(tls.baseUrl, { 'x-forwarded-proto': 'https' });
      const login = await client.get('/console/login');
      expect((await client.signIn(tlsTenant, await tlsAccount(), PASSWORD)).status).toBe(303);
      const answers: [string, ConsoleResponse][] = [
        ['the sign-in page', login],
        ['a signed-in page', await client.get('/console/search')],
        ['the audit log', await client.get('/console/audit')],
        ['a 404 page', await client.get('/console/contacts/0190a000-0000-7000-8000-000000000000')],
        ['a CSRF refusal', await client.post('/console/search', { type: 'phone', q: '09012345678' })],
        ['a form too large', await client.post('/console/search', { q: 'x'.repeat(17 * 1024) })],
      ];
      expect(answers.map(([what, res]) => [what, res.status, res.headers.get('strict-transport-security'), securityHeaders(res)])).toEqual(
        answers.map(([what, res]) => [what, res.status, HSTS, SECURE_PAGE]),
      );
    });

    it('marks the session cookie Secure behind a proxy it trusts that says https, with no https public URL', async () => {
      const proxied = await startEngine({ label: 'console_proxied', startWorker: false, config: { http: { trustProxy: 'loopback' } as TsunaguConfig['http'] } });
      try {
        const tenant = (await proxied.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [proxied.tenantId]))[0].name;
        const session = async (headers: Record<string, string>) => {
          const email = `proxied-${Math.random().toString(36).slice(2, 8)}@example.jp`;
          await proxied.api.get(StaffService).create(proxied.tenantId, email, 'agent', PASSWORD);
          const res = await new ConsoleClient(proxied.baseUrl, headers).signIn(tenant, email, PASSWORD);
          return res.setCookies.find((c) => /^(__Host-)?tsunagu_session=/.test(c))!;
        };
        expect(await session({ 'x-forwarded-proto': 'https' })).toMatch(/^__Host-tsunagu_session=[^;]+; Path=\/; .*; Secure$/);
        expect(await session({})).toMatch(/^tsunagu_session=[^;]+; Path=\/console; /);
        expect(await session({})).not.toMatch(/Secure/);
      } finally {
        await proxied.close();
      }
    });

    it('marks every cookie Secure because the public URL is https, even on a request that reached it over plain http', async () => {
      const client = new ConsoleClient(tls.baseUrl);
      const page = await client.get('/console/login');
      const signIn = await client.post('/console/login', { _csrf: client.csrf(), tenant: tlsTenant, email: await tlsAccount(), password: PASSWORD });
      expect(signIn.status).toBe(303);
      await client.get('/console/search');
      const signOut = await client.post('/console/logout', { _csrf: client.csrf() });
      expect(signOut.headers.get('location')).toBe('/console/login');
      const cookies = [...page.setCookies, ...signIn.setCookies, ...signOut.setCookies];
      // `__Host-` names: Secure, `Path=/` and no Domain, so no subdomain or plain-http page can set one in their place.
      expect(cookies.map((c) => c.split('=')[0])).toEqual(['__Host-tsunagu_login_csrf', '__Host-tsunagu_session', '__Host-tsunagu_login_csrf', '__Host-tsunagu_session']);
      for (const c of cookies) expect(c).toMatch(/^[^;]+; Path=\/; HttpOnly; SameSite=Strict(; Max-Age=\d+)?; Secure$/);
      expect(cookies.join('\n')).not.toMatch(/Domain=/i);
    });
  });
});

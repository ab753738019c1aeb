import { createHash } from 'node:crypto';
import { I18n } from '../apps/console/src/i18n/i18n';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { consoleRoutes } from './support/console-routes';
import { STAFF_PASSWORD, consoleStaff, sendTransactional } from './support/console-staff';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

const PASSWORD = STAFF_PASSWORD;
/** The console speaks Japanese to a client that asks for nothing else. */
const JA = new I18n('ja');

/**
 * Every state-changing console route refuses a form without the session's CSRF token, or with
 * another session's: nothing changes and nothing is audited. The same form with the session's
 * own token does change what the row watches, so each row's observation could have caught a
 * forged change. The table must list every non-GET route the console's controllers declare.
 */
describe('console: CSRF on every state-changing route', () => {
  let h: EngineHarness;
  let staff: StaffService;
  let tenantName: string;

  let signedIn: ReturnType<typeof consoleStaff>['signedIn'];
  const send = (body: Record<string, unknown>) => sendTransactional(h, body);

  beforeAll(async () => {
    h = await startEngine({ label: 'console_csrf', startWorker: false });
    const staffOf = consoleStaff(h);
    ({ staff, signedIn } = staffOf);
    tenantName = await staffOf.tenantName();
  });
  afterAll(async () => h?.close());

  /** One admin's session the forged forms ride on, and things of its tenant each route could change. */
  interface Fixture {
    client: ConsoleClient;
    other: ConsoleClient;
    staffId: string;
    actor: string;
    sessionId: string;
    targetId: string;
    newEmail: string;
    keyName: string;
    keyId: string;
    senderId: string;
    contactId: string;
    messageId: string;
  }
  interface Row {
    /** As the controllers declare it. */
    route: string;
    name: string;
    path: (f: Fixture) => string;
    form: (f: Fixture) => Record<string, string>;
    /** A cheap read of what the route would change. */
    observe: (f: Fixture) => Promise<unknown>;
    /** The answer when the session's own token comes with the same form. */
    done: number;
    /** Sign-in: no session yet, a double-submit token from the sign-in page's cookie. */
    signIn?: true;
  }
  const one = async (sql: string, params: unknown[]) => (await h.query(sql, params))[0] ?? null;
  const count = async (sql: string, params: unknown[]) => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;
  const sessionsOf = (f: Fixture) => count(`staff_sessions WHERE id = $1`, [f.sessionId]);
  const rows: Row[] = [
    {
      route: 'POST /console/login',
      name: 'sign in',
      path: () => '/console/login',
      form: (f) => ({ tenant: tenantName, email: f.newEmail, password: PASSWORD }),
      observe: (f) => count(`audit_log WHERE action = 'staff.login' AND actor = $1`, [`staff:${f.newEmail}`]),
      done: 303,
      signIn: true,
    },
    { route: 'POST /console/logout', name: 'sign out', path: () => '/console/logout', form: () => ({}), observe: sessionsOf, done: 303 },
    {
      route: 'POST /console/password',
      name: 'change one’s password',
      path: () => '/console/password',
      form: () => ({ current: PASSWORD, next: 'a passphrase of my own 42', repeat: 'a passphrase of my own 42' }),
      observe: (f) => one(`SELECT password_hash FROM staff WHERE id = $1`, [f.staffId]),
      done: 303,
    },
    {
      route: 'POST /console/search',
      name: 'search (audited)',
      path: () => '/console/search',
      form: (f) => ({ type: 'message', q: f.messageId }),
      observe: (f) => count(`audit_log WHERE action = 'contact.search' AND actor = $1`, [f.actor]),
      done: 200,
    },
    {
      route: 'POST /console/contacts/:id/reveal',
      name: 'reveal a number',
      path: (f) => `/console/contacts/${f.contactId}/reveal`,
      form: () => ({ reason: 'customer called' }),
      observe: (f) => count(`audit_log WHERE action = 'phone.reveal' AND subject_id = $1`, [f.contactId]),
      done: 200,
    },
    {
      route: 'POST /console/contacts/:id/erase',
      name: "erase a person's data",
      path: (f) => `/console/contacts/${f.contactId}/erase`,
      form: () => ({ reason: '削除依頼 #1234', confirm: 'yes' }),
      observe: (f) => one(`SELECT erased_at FROM contacts WHERE id = $1`, [f.contactId]),
      done: 303,
    },
    {
      route: 'POST /console/admin/staff',
      name: 'create staff',
      path: () => '/console/admin/staff',
      form: (f) => ({ email: f.newEmail, role: 'admin' }),
      observe: (f) => count(`staff WHERE email = $1`, [f.newEmail]),
      done: 201,
    },
    {
      route: 'POST /console/admin/staff/:id/disable',
      name: 'disable staff',
      path: (f) => `/console/admin/staff/${f.targetId}/disable`,
      form: () => ({}),
      observe: (f) => one(`SELECT disabled_at FROM staff WHERE id = $1`, [f.targetId]),
      done: 303,
    },
    {
      route: 'POST /console/admin/staff/:id/unlock',
      name: 'unlock staff',
      path: (f) => `/console/admin/staff/${f.targetId}/unlock`,
      form: () => ({}),
      observe: (f) => one(`SELECT locked_until FROM staff WHERE id = $1`, [f.targetId]),
      done: 303,
    },
    {
      route: 'POST /console/admin/staff/:id/reset-password',
      name: 'reset the password of staff',
      path: (f) => `/console/admin/staff/${f.targetId}/reset-password`,
      form: () => ({}),
      observe: (f) => one(`SELECT password_hash FROM staff WHERE id = $1`, [f.targetId]),
      done: 200,
    },
    {
      route: 'POST /console/admin/senders/:id/:action',
      name: 'suspend a sender',
      path: (f) => `/console/admin/senders/${f.senderId}/suspend`,
      form: () => ({}),
      observe: (f) => one(`SELECT state FROM senders WHERE id = $1`, [f.senderId]),
      done: 303,
    },
    {
      route: 'POST /console/admin/keys',
      name: 'create an API key',
      path: () => '/console/admin/keys',
      form: (f) => ({ name: f.keyName, scopes: 'admin', expires: 'never' }),
      observe: (f) => count(`api_keys WHERE tenant_id = $1 AND name = $2`, [h.tenantId, f.keyName]),
      done: 201,
    },
    {
      route: 'POST /console/admin/callbacks/recover',
      name: 'send failed callbacks again',
      path: () => '/console/admin/callbacks/recover',
      form: () => ({}),
      observe: () => count(`audit_log WHERE tenant_id = $1 AND action = 'callbacks.recover'`, [h.tenantId]),
      done: 200,
    },
    {
      route: 'POST /console/admin/keys/:id/revoke',
      name: 'revoke an API key',
      path: (f) => `/console/admin/keys/${f.keyId}/revoke`,
      form: () => ({}),
      observe: (f) => one(`SELECT revoked_at FROM api_keys WHERE id = $1`, [f.keyId]),
      done: 303,
    },
  ];

  async function fixture(): Promise<Fixture> {
    const [client, other] = [await signedIn('admin'), await signedIn('admin')];
    const sessionId = createHash('sha256').update(client.cookies.get('tsunagu_session')!).digest('hex');
    const me = (await h.query<{ id: string; email: string }>(`SELECT s.id, s.email FROM staff s JOIN staff_sessions ss ON ss.staff_id = s.id WHERE ss.id = $1`, [sessionId]))[0];
    const tag = Math.random().toString(36).slice(2, 8);
    const targetId = (await staff.create(h.tenantId, `target-${tag}@example.jp`, 'agent', PASSWORD)).id;
    await h.query(`UPDATE staff SET failed_logins = 5, locked_until = now() + interval '15 minutes' WHERE id = $1`, [targetId]);
    const key = await h.admin.createApiKey(h.tenantId, ['messages:read']);
    const sender = await post(h, '/v1/senders', { address: `0005${100000 + Math.floor(Math.random() * 900000)}`, routes: [] });
    expect(sender.status).toBe(201);
    const messageId = await send({ to: { phone: mobile() } });
    // Erasure waits for messages in flight: this one is over.
    await h.query(`UPDATE messages SET status = 'cancelled', completed_at = now(), due_at = NULL WHERE id = $1`, [messageId]);
    const contact = (await h.query<{ contact_id: string }>(`SELECT contact_id FROM messages WHERE id = $1`, [messageId]))[0].contact_id;
    return {
      client,
      other,
      staffId: me.id,
      actor: `staff:${me.email}`,
      sessionId,
      targetId,
      newEmail: `new-${tag}@example.jp`,
      keyName: `forged-${tag}`,
      keyId: key.id,
      senderId: sender.body.id,
      contactId: contact,
      messageId,
    };
  }

  async function onSignInPage(): Promise<ConsoleClient> {
    const client = new ConsoleClient(h.baseUrl);
    expect((await client.get('/console/login')).status).toBe(200);
    return client;
  }

  it.each(rows)('$route ($name): no token, or another session’s, is 403 and changes nothing', async (row) => {
    const f = await fixture();
    if (row.signIn) await staff.create(h.tenantId, f.newEmail, 'agent', PASSWORD);
    const client = row.signIn ? await onSignInPage() : f.client;
    const foreign = row.signIn ? (await onSignInPage()).csrf() : f.other.csrf();
    const refusal = JA.t(row.signIn ? 'login.expired' : 'error.csrf');
    const audited = () => count(`audit_log`, []);
    const before = [await row.observe(f), await audited()];

    const answers = [await client.post(row.path(f), row.form(f)), await client.post(row.path(f), { ...row.form(f), _csrf: foreign })];
    expect(answers.map((res) => [res.status, res.text.includes(refusal)])).toEqual([
      [403, true],
      [403, true],
    ]);
    expect(answers.flatMap((res) => res.setCookies).filter((c) => c.startsWith('tsunagu_session='))).toEqual([]);
    expect([await row.observe(f), await audited()]).toEqual(before);

    // The same form with the session's own token does the thing: the observation would have seen it.
    const own = await client.post(row.path(f), { ...row.form(f), _csrf: client.csrf() });
    expect(own.status).toBe(row.done);
    expect(await row.observe(f)).not.toEqual(before[0]);
  });

  it("the table covers every state-changing console route, as the console's controllers declare them", () => {
    const changing = consoleRoutes().filter((route) => !/^(GET|HEAD|OPTIONS) /.test(route));
    expect(changing.length).toBeGreaterThanOrEqual(13);
    expect([...new Set(rows.map((r) => r.route))].sort()).toEqual([...new Set(changing)].sort());
  });
});

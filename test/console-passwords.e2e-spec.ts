import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig } from '@tsunagu/config';
import { EN } from '../apps/console/src/i18n/messages';
import { JA } from '../apps/console/src/i18n/messages.ja';
import { PwnedPasswords } from '../apps/console/src/staff/pwned-passwords';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { STAFF_PASSWORD, consoleStaff } from './support/console-staff';
import { EngineHarness, startEngine } from './support/engine-harness';
import { PwnedRange, startPwnedRange } from './support/pwned-range';

const BREACHED = 'summer sunshine 2024!';
/** Only ever in the stand-in's padding (counted 0): no breach. */
const PADDED = 'a lantern by the quiet river';
const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

/**
 * New console passwords against a stand-in for Have I Been Pwned's range API (never the
 * internet), and against the account's own words; an admin's reset dates the password.
 */
describe('console: new passwords are not breached, not personal', () => {
  let range: PwnedRange;
  let h: EngineHarness;
  let staff: StaffService;
  let tenantName: string;
  let account: ReturnType<typeof consoleStaff>['account'];
  let signedIn: ReturnType<typeof consoleStaff>['signedIn'];

  /** A signed-in agent on a password of their own, and their email. */
  const agent = async () => {
    const email = await account('agent');
    const client = new ConsoleClient(h.baseUrl);
    expect((await client.signIn(tenantName, email, STAFF_PASSWORD)).status).toBe(303);
    return { client, email };
  };
  const change = async (client: ConsoleClient, next: string, lang = '') => {
    await client.get(`/console/password${lang}`);
    return client.post('/console/password', { _csrf: client.csrf(), current: STAFF_PASSWORD, next, repeat: next });
  };

  beforeAll(async () => {
    range = await startPwnedRange([BREACHED], [PADDED]);
    h = await startEngine({ label: 'console_passwords', startWorker: false, config: { console: { pwnedPasswordsUrl: range.url } } });
    const staffOf = consoleStaff(h);
    ({ staff, account, signedIn } = staffOf);
    tenantName = await staffOf.tenantName();
  });

  afterEach(() => {
    range.mode = 'ok';
  });

  afterAll(async () => {
    await h?.close();
    await range?.close();
  });

  it('refuses a new password Pwned Passwords lists, sending only the first 5 hex digits of its SHA-1 and asking for padding', async () => {
    const { client, email } = await agent();
    const asked = range.requests.length;
    const refused = await change(client, BREACHED);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(JA['password.problem.breached']);
    expect((await change(client, BREACHED, '?lang=en')).text).toContain(EN['password.problem.breached']);
    const sent = range.requests.slice(asked);
    expect(sent.map((r) => [r.path, r.headers['add-padding']])).toEqual([
      [`/range/${sha1(BREACHED).slice(0, 5)}`, 'true'],
      [`/range/${sha1(BREACHED).slice(0, 5)}`, 'true'],
    ]);
    expect(JSON.stringify(sent)).not.toContain(sha1(BREACHED).slice(5));
    // Still the old password.
    expect((await new ConsoleClient(h.baseUrl).signIn(tenantName, email, STAFF_PASSWORD)).status).toBe(303);
  });

  it('takes a password it does not list, and one that is only in its padding (counted 0)', async () => {
    expect((await change((await agent()).client, 'a phrase of my own choosing 42')).status).toBe(303);
    expect((await change((await agent()).client, PADDED)).status).toBe(303);
  });

  it('takes the new password, with a warning logged, when the service is down or does not answer within 2 s', async () => {
    const [first, second] = [(await agent()).client, (await agent()).client];
    range.mode = 'down';
    expect((await change(first, 'the service was down today')).status).toBe(303);
    range.mode = 'hang';
    const started = Date.now();
    expect((await change(second, 'the service did not answer')).status).toBe(303);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const log = readFileSync(h.config.logFile!, 'utf8');
    const warnings = log.split('\n').filter((l) => l.includes('breached-password check unavailable'));
    expect(warnings.map((l) => (JSON.parse(l) as { reason: string }).reason)).toEqual(['status 503', 'timeout']);
    for (const secret of ['the service was down today', 'the service did not answer']) {
      expect(log).not.toContain(sha1(secret));
      expect(log).not.toContain(sha1(secret).slice(5));
    }
  });

  it("refuses a password holding the email's name or the organisation's name, before asking anyone", async () => {
    const { client, email } = await agent();
    const asked = range.requests.length;
    for (const next of [`my own ${email.split('@')[0].toUpperCase()} passphrase`, `we all work at ${tenantName} now`]) {
      const res = await change(client, next);
      expect([res.status, res.text.includes(JA['password.problem.personal'])]).toEqual([400, true]);
    }
    expect(range.requests.length).toBe(asked);
  });

  it("refuses a breached or personal password given to create (staff:create's TSUNAGU_STAFF_PASSWORD), and makes no account", async () => {
    const email = `given-${randomBytes(3).toString('hex')}@example.jp`;
    await expect(staff.create(h.tenantId, email, 'agent', BREACHED)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { problem: 'breached' } });
    await expect(staff.create(h.tenantId, email, 'agent', `${email.split('@')[0]} is my name`)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { problem: 'personal' } });
    expect(await h.query(`SELECT 1 FROM staff WHERE email = $1`, [email])).toHaveLength(0);
    // A generated one is not looked up: 144 random bits were never in a breach.
    const asked = range.requests.length;
    await staff.create(h.tenantId, email, 'agent');
    expect(range.requests.length).toBe(asked);
  });

  it('asks nothing when TSUNAGU_PWNED_PASSWORDS_URL is off', async () => {
    const off = new PwnedPasswords(loadConfig({ TSUNAGU_DATA_KEY: randomBytes(32).toString('base64'), TSUNAGU_PWNED_PASSWORDS_URL: 'off' }));
    const fetched = jest.spyOn(globalThis, 'fetch');
    try {
      expect(await off.isBreached(BREACHED)).toBe(false);
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      fetched.mockRestore();
    }
    // The same check pointed at the stand-in does ask, and finds it.
    const on = new PwnedPasswords(loadConfig({ TSUNAGU_DATA_KEY: randomBytes(32).toString('base64'), TSUNAGU_PWNED_PASSWORDS_URL: range.url }));
    expect(await on.isBreached(BREACHED)).toBe(true);
  });

  it("dates the password on an admin's reset, as on a change", async () => {
    const email = await account('agent');
    const [before] = await h.query<{ id: string; changed: Date | null }>(`SELECT id, password_changed_at AS changed FROM staff WHERE email = $1`, [email]);
    expect(before.changed).toBeNull();
    const admin = await signedIn('admin');
    await admin.get('/console/admin');
    expect((await admin.post(`/console/admin/staff/${before.id}/reset-password`, { _csrf: admin.csrf() })).status).toBe(200);
    const [after] = await h.query<{ recent: boolean }>(`SELECT password_changed_at > now() - interval '1 minute' AS recent FROM staff WHERE id = $1`, [before.id]);
    expect(after.recent).toBe(true);
  });
});

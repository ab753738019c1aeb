import { readFileSync } from 'node:fs';
import type { TsunaguConfig } from '@tsunagu/config';
import { ACCOUNT_MAX_FAILED_LOGINS } from '../apps/console/src/staff/lockout.service';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { STAFF_PASSWORD, consoleStaff } from './support/console-staff';
import { EngineHarness, startEngine } from './support/engine-harness';

const PASSWORD = STAFF_PASSWORD;

/**
 * The sign-in lock-out counts per account and client address (Express's `req.ip`; this engine
 * trusts the loopback proxy, so `X-Forwarded-For` says where each client is): a guesser locks the
 * account for their own address, not for its owner, and a guess spread over many addresses
 * locks it for everyone but the addresses its owner signed in from. The address is stored only as
 * an HMAC.
 */
describe('console: lock-out per account and client address', () => {
  let h: EngineHarness;
  let staff: StaffService;
  let tenantName: string;
  let account: ReturnType<typeof consoleStaff>['account'];

  const from = (ip: string) => new ConsoleClient(h.baseUrl, { 'x-forwarded-for': ip });
  const wrong = async (client: ConsoleClient, email: string, n: number) => {
    for (let i = 0; i < n; i += 1) expect((await client.signIn(tenantName, email, `a wrong guess ${i}`)).status).toBe(401);
  };
  const staffId = async (email: string) => (await h.query<{ id: string }>(`SELECT id FROM staff WHERE email = $1`, [email]))[0].id;

  beforeAll(async () => {
    h = await startEngine({ label: 'console_lockout', startWorker: false, config: { http: { trustProxy: 'loopback' } as TsunaguConfig['http'] } });
    const staffOf = consoleStaff(h);
    ({ staff, account } = staffOf);
    tenantName = await staffOf.tenantName();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('locks the account for the address that guessed wrong 5 times, not for its owner elsewhere, and keeps only an HMAC of the address', async () => {
    const email = await account('agent');
    const guesser = from('198.51.100.7');
    await wrong(guesser, email, 5);
    expect((await guesser.signIn(tenantName, email, PASSWORD)).status).toBe(401);
    expect((await from('203.0.113.20').signIn(tenantName, email, PASSWORD)).headers.get('location')).toBe('/console/search');

    // Two rows: the guesser's address, locked; the owner's, known from the sign-in.
    const rows = await h.query<{ locked: boolean; known: boolean; row: string }>(
      `SELECT coalesce(f.locked_until > now() + interval '14 minutes', false) AS locked, coalesce(f.known_until > now() + interval '29 days', false) AS known, row_to_json(f)::text AS row
       FROM staff_login_failures f WHERE f.staff_id = $1 ORDER BY locked DESC`,
      [await staffId(email)],
    );
    expect(rows.map((r) => [r.locked, r.known])).toEqual([[true, false], [false, true]]);
    for (const r of rows) expect(r.row).not.toMatch(/198\.51\.100|203\.0\.113/);
    expect(await h.query(`SELECT 1 FROM staff WHERE email = $1 AND locked_until > now()`, [email])).toHaveLength(0);
    expect(readFileSync(h.config.logFile!, 'utf8')).not.toContain('198.51.100.7');
  });

  it('counts an IPv6 client by its /64, so a new address per guess does not escape the lock', async () => {
    const email = await account('agent');
    for (let i = 1; i <= 5; i += 1) await wrong(from(`2001:db8:7:7::${i}`), email, 1);
    expect((await from('2001:db8:7:7:ffff::99').signIn(tenantName, email, PASSWORD)).status).toBe(401);
    expect((await from('2001:db8:7:8::1').signIn(tenantName, email, PASSWORD)).status).toBe(303);
  });

  it("clears the address's count on the right password: failures are counted in a row", async () => {
    const email = await account('agent');
    const client = from('198.51.100.8');
    await wrong(client, email, 4);
    expect((await client.signIn(tenantName, email, PASSWORD)).status).toBe(303);
    await wrong(from('198.51.100.8'), email, 4);
    expect((await from('198.51.100.8').signIn(tenantName, email, PASSWORD)).status).toBe(303);
  });

  it('counts wrong current passwords on the password form per address too: the lock ends the sessions, the owner signs in elsewhere', async () => {
    const email = await account('agent');
    const stolen = from('198.51.100.9');
    expect((await stolen.signIn(tenantName, email, PASSWORD)).status).toBe(303);
    await stolen.get('/console/password');
    for (let i = 0; i < 5; i += 1) {
      expect((await stolen.post('/console/password', { _csrf: stolen.csrf(), current: `a wrong guess ${i}`, next: 'a new passphrase 1', repeat: 'a new passphrase 1' })).status).toBe(400);
    }
    expect((await stolen.get('/console/search')).headers.get('location')).toBe('/console/login');
    expect((await from('198.51.100.9').signIn(tenantName, email, PASSWORD)).status).toBe(401);
    expect((await from('203.0.113.21').signIn(tenantName, email, PASSWORD)).status).toBe(303);
  });

  it("shows an admin the account locked from some address, and the admin's unlock lifts every address's lock", async () => {
    const email = await account('agent');
    await wrong(from('198.51.100.10'), email, 5);
    await wrong(from('198.51.100.11'), email, 5);
    const admin = from('192.0.2.1');
    expect((await admin.signIn(tenantName, await account('admin'), PASSWORD)).status).toBe(303);
    const id = await staffId(email);
    const page = await admin.get('/console/admin');
    expect(page.text).toContain(`action="/console/admin/staff/${id}/unlock"`);
    expect((await admin.post(`/console/admin/staff/${id}/unlock`, { _csrf: admin.csrf() })).status).toBe(303);
    expect(await h.query(`SELECT 1 FROM staff_login_failures WHERE staff_id = $1 AND (failures > 0 OR locked_until > now())`, [id])).toHaveLength(0);
    for (const ip of ['198.51.100.10', '198.51.100.11']) expect((await from(ip).signIn(tenantName, email, PASSWORD)).status).toBe(303);
    expect((await admin.get('/console/admin')).text).not.toContain(`/console/admin/staff/${id}/unlock`);
  });

  it(`locks the account for everyone after ${ACCOUNT_MAX_FAILED_LOGINS} failures from many addresses, checking no more however many arrive at once`, async () => {
    const email = await account('agent');
    // The owner has signed in from the office before: that address is known.
    expect((await from('203.0.113.23').signIn(tenantName, email, PASSWORD)).status).toBe(303);
    // One guess from each of 54 addresses, all at once: no address reaches its own limit.
    const guesses = await Promise.all(Array.from({ length: ACCOUNT_MAX_FAILED_LOGINS + 4 }, (_, i) => staff.signIn(tenantName, email, `distributed guess ${i}`, `198.18.${i >> 8}.${i & 255}`)));
    expect(guesses.filter((g) => !g.ok && g.wrongPassword)).toHaveLength(ACCOUNT_MAX_FAILED_LOGINS);
    expect(guesses.filter((g) => !g.ok && g.locked && g.wrongPassword)).toHaveLength(1);
    expect(await h.query(`SELECT 1 FROM staff WHERE email = $1 AND locked_until > now() + interval '14 minutes'`, [email])).toHaveLength(1);
    // Anyone from an address never seen, the owner too, until an admin unlocks it.
    expect((await from('203.0.113.22').signIn(tenantName, email, PASSWORD)).status).toBe(401);
    // But not the owner from an address they signed in from: the spread-out guess does not keep them out.
    expect((await from('203.0.113.23').signIn(tenantName, email, PASSWORD)).status).toBe(303);
    // A known address is still held to its own five failures.
    await wrong(from('203.0.113.23'), email, 5);
    expect((await from('203.0.113.23').signIn(tenantName, email, PASSWORD)).status).toBe(401);
    expect(await staff.unlock(h.tenantId, await staffId(email))).toBe(true);
    expect((await from('203.0.113.22').signIn(tenantName, email, PASSWORD)).status).toBe(303);
  });

  it('prunes rows whose time is over at each attempt, keeping the live ones', async () => {
    const [stale, live] = [await account('agent'), await account('agent')];
    await wrong(from('198.51.100.30'), stale, 2);
    await wrong(from('198.51.100.31'), live, 2);
    await h.query(`UPDATE staff_login_failures SET expires_at = now() - interval '1 minute' WHERE staff_id = $1`, [await staffId(stale)]);
    await wrong(from('198.51.100.32'), live, 1);
    expect(await h.query(`SELECT 1 FROM staff_login_failures WHERE staff_id = $1`, [await staffId(stale)])).toHaveLength(0);
    expect(await h.query(`SELECT 1 FROM staff_login_failures WHERE staff_id = $1`, [await staffId(live)])).toHaveLength(2);
  });

  it('believes no X-Forwarded-For from a client when no proxy is trusted: a guesser cannot make up addresses', async () => {
    const direct = await startEngine({ label: 'console_lockout_direct', startWorker: false });
    try {
      const of = consoleStaff(direct);
      const [name, email] = [await of.tenantName(), await of.account('agent')];
      for (let i = 0; i < 5; i += 1) {
        const guess = await new ConsoleClient(direct.baseUrl, { 'x-forwarded-for': `198.51.100.${40 + i}` }).signIn(name, email, `a wrong guess ${i}`);
        expect(guess.status).toBe(401);
      }
      expect((await new ConsoleClient(direct.baseUrl, { 'x-forwarded-for': '198.51.100.99' }).signIn(name, email, PASSWORD)).status).toBe(401);
    } finally {
      await direct.close();
    }
  });
});

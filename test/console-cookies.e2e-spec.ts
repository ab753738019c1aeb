import type { TsunaguConfig } from '@tsunagu/config';
import { ConsoleClient, ConsoleResponse } from '../apps/console/src/testing/console-client';
import { STAFF_PASSWORD, consoleStaff } from './support/console-staff';
import { EngineHarness, startEngine } from './support/engine-harness';

const named = (res: ConsoleResponse, name: string) => res.setCookies.find((c) => c.startsWith(`${name}=`));

/**
 * The console's cookie names: `__Host-` over https (Secure, `Path=/`, no Domain: nothing a
 * sibling subdomain or a plain-http page sets can stand in for them), bare names under
 * `/console` over plain http (development). Each request reads only the name it would set.
 */
describe('console: cookie names', () => {
  let plain: EngineHarness;
  let tls: EngineHarness;
  let proxied: EngineHarness;

  beforeAll(async () => {
    [plain, tls, proxied] = await Promise.all([
      startEngine({ label: 'console_cookies_http', startWorker: false }),
      startEngine({ label: 'console_cookies_https', startWorker: false, config: { publicUrl: 'https://console.example.jp' } }),
      startEngine({ label: 'console_cookies_proxy', startWorker: false, config: { http: { trustProxy: 'loopback' } as TsunaguConfig['http'] } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([plain?.close(), tls?.close(), proxied?.close()]);
  });

  async function signIn(h: EngineHarness, headers: Record<string, string> = {}) {
    const of = consoleStaff(h);
    const client = new ConsoleClient(h.baseUrl, headers);
    const form = await client.get('/console/login');
    const res = await client.signIn(await of.tenantName(), await of.account('agent'), STAFF_PASSWORD);
    expect(res.status).toBe(303);
    return { client, form, res };
  }

  it('over plain http: the bare names under Path=/console, not Secure; a __Host- name is not read', async () => {
    const { client, form, res } = await signIn(plain);
    expect(named(form, 'tsunagu_login_csrf')).toMatch(/^tsunagu_login_csrf=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    expect(named(res, 'tsunagu_session')).toMatch(/^tsunagu_session=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect((await client.get('/console/search')).status).toBe(200);

    const renamed = new ConsoleClient(plain.baseUrl);
    renamed.cookies.set('__Host-tsunagu_session', client.cookies.get('tsunagu_session')!);
    expect((await renamed.get('/console/search')).headers.get('location')).toBe('/console/login');

    const out = await client.post('/console/logout', { _csrf: client.csrf() });
    expect(named(out, 'tsunagu_session')).toBe('tsunagu_session=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('under an https public URL: __Host- names with Path=/ and Secure, read by that name only; sign-out clears the one it set', async () => {
    const { client, form, res } = await signIn(tls);
    expect(named(form, '__Host-tsunagu_login_csrf')).toMatch(/^__Host-tsunagu_login_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/);
    expect(named(res, '__Host-tsunagu_session')).toMatch(/^__Host-tsunagu_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    expect(named(res, '__Host-tsunagu_login_csrf')).toBe('__Host-tsunagu_login_csrf=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
    expect([...res.setCookies, ...form.setCookies].filter((c) => c.startsWith('tsunagu_'))).toEqual([]);
    expect((await client.get('/console')).headers.get('location')).toBe('/console/search');
    expect((await client.get('/console/search')).status).toBe(200);

    // The same token under the bare name (as a plain-http page or a subdomain could set it): no session.
    const token = client.cookies.get('__Host-tsunagu_session')!;
    const bare = new ConsoleClient(tls.baseUrl);
    bare.cookies.set('tsunagu_session', token);
    expect((await bare.get('/console/search')).headers.get('location')).toBe('/console/login');
    // Nor is the sign-in form's token taken under the bare name.
    const planted = new ConsoleClient(tls.baseUrl);
    await planted.get('/console/login');
    const csrf = planted.cookies.get('__Host-tsunagu_login_csrf')!;
    planted.cookies.delete('__Host-tsunagu_login_csrf');
    planted.cookies.set('tsunagu_login_csrf', csrf);
    expect((await planted.post('/console/login', { _csrf: csrf, tenant: 'x', email: 'x@example.jp', password: STAFF_PASSWORD })).status).toBe(403);

    const out = await client.post('/console/logout', { _csrf: client.csrf() });
    expect(out.setCookies).toEqual(['__Host-tsunagu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure']);
    expect((await client.get('/console/search')).headers.get('location')).toBe('/console/login');
  });

  it('behind a trusted proxy: __Host- names when it says https, bare ones when it does not', async () => {
    const viaTls = await signIn(proxied, { 'x-forwarded-proto': 'https' });
    expect(named(viaTls.res, '__Host-tsunagu_session')).toMatch(/; Path=\/; .*; Secure$/);
    expect((await viaTls.client.get('/console/search')).status).toBe(200);
    const viaHttp = await signIn(proxied);
    expect(named(viaHttp.res, 'tsunagu_session')).toMatch(/; Path=\/console; /);
    expect((await viaHttp.client.get('/console/search')).status).toBe(200);
  });
});

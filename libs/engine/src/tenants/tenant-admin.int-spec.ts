import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { TenantAdminService } from './tenant-admin.service';
import { TenantSettingsService } from './tenant-settings.service';

/**
 * A tenant's default callback URL, as the CLI (`tenant:create --callback-url`,
 * `tenant:set-callback-url`) saves it, on a real PostgreSQL: refused exactly as the API refuses
 * a message's callbackUrl, and nothing stored. The URLs need no DNS: literals, `localhost`
 * (/etc/hosts) and `.invalid` (never resolves).
 */
describe('TenantAdminService callback URLs on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const cipher = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));

  function admin(allowPrivateUrls: boolean): TenantAdminService {
    const config = inProcessConfig({ callbacks: { allowPrivateUrls, timeoutMs: 1000, retryHours: 1 } });
    return new TenantAdminService(ds, cipher, new TenantSettingsService(ds, config, cipher), config);
  }
  const stored = async (id: string) => ((await ds.query(`SELECT callback_url FROM tenants WHERE id = $1`, [id])) as { callback_url: string | null }[])[0]?.callback_url;
  /** The DomainError's code, status and reason, as the API's exception filter would answer them. */
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'saved',
      (err: unknown) => (err instanceof DomainError ? [err.code, err.status, err.details?.reason] : err),
    );

  beforeAll(async () => {
    db = await createTestDatabase('tenantadmin');
    ds = await createDataSource(db.url).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it.each([
    ['https://127.0.0.1/cb', 'address_not_public'],
    ['https://[::127.0.0.1]/cb', 'address_not_public'],
    ['https://169.254.169.254/latest/meta-data/', 'address_not_public'],
    ['https://localhost/cb', 'address_not_public'],
    ['http://93.184.215.14/cb', 'scheme_not_allowed'],
    ['https://user:pw@93.184.215.14/cb', 'credentials_in_url'],
    ['https://crm.nowhere.invalid/cb', 'unresolvable'],
    ['not a url', 'invalid_url'],
  ])('setCallbackUrl refuses %s with 422 CALLBACK_URL_NOT_ALLOWED (%s) and keeps the old URL', async (url, reason) => {
    const a = admin(false);
    const { id } = await a.createTenant(`set-${randomBytes(3).toString('hex')}`, 'https://93.184.215.14/before');
    expect(await refusal(a.setCallbackUrl(id, url))).toEqual(['CALLBACK_URL_NOT_ALLOWED', 422, reason]);
    expect(await stored(id)).toBe('https://93.184.215.14/before');
  });

  it('setCallbackUrl stores a public URL, and clears it with null', async () => {
    const a = admin(false);
    const { id } = await a.createTenant(`ok-${randomBytes(3).toString('hex')}`);
    await a.setCallbackUrl(id, 'https://[2001:4860:4860::8888]/crm');
    expect(await stored(id)).toBe('https://[2001:4860:4860::8888]/crm');
    await a.setCallbackUrl(id, null);
    expect(await stored(id)).toBeNull();
  });

  it('createTenant refuses a private callback URL and creates no tenant', async () => {
    const name = `create-${randomBytes(3).toString('hex')}`;
    expect(await refusal(admin(false).createTenant(name, 'https://10.0.0.1/cb'))).toEqual(['CALLBACK_URL_NOT_ALLOWED', 422, 'address_not_public']);
    expect(await ds.query(`SELECT 1 FROM tenants WHERE name = $1`, [name])).toEqual([]);
  });

  it('with callbacks.allowPrivateUrls (local demos) a loopback http receiver is saved, credentials still refused', async () => {
    const a = admin(true);
    const { id } = await a.createTenant(`demo-${randomBytes(3).toString('hex')}`, 'http://127.0.0.1:3999/crm');
    await a.setCallbackUrl(id, 'http://localhost:4000/crm');
    expect(await stored(id)).toBe('http://localhost:4000/crm');
    expect(await refusal(a.setCallbackUrl(id, 'http://u:p@127.0.0.1/'))).toEqual(['CALLBACK_URL_NOT_ALLOWED', 422, 'credentials_in_url']);
  });
});

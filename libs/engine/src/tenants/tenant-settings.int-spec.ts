import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { TENANT_FRESH_MS, TENANT_STALE_LIMIT_MS, TenantSettingsService } from './tenant-settings.service';

/**
 * The tenant cache on a real PostgreSQL. Reads are counted on their way to the database: the
 * service is given the real DataSource with `query` passed through a counter.
 */
describe('TenantSettingsService on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let reads = 0;
  let settings: TenantSettingsService;
  let clock: number;
  const tenantId = '0190a000-0000-7000-8000-0000000000aa';

  beforeAll(async () => {
    db = await createTestDatabase('tenantcache');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name, callback_url) VALUES ($1, 'cache', 'https://crm.example/one')`, [tenantId]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(() => {
    const counted = Object.create(ds, { query: { value: (sql: string, params?: unknown[]) => (reads++, ds.query(sql, params)) } }) as DataSource;
    settings = new TenantSettingsService(counted, inProcessConfig({}), new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64'))));
    clock = 1_000_000;
    settings.now = () => clock;
  });

  const tenantReads = async () => reads;

  it('gives callers that miss together one read', async () => {
    const before = await tenantReads();
    const got = await Promise.all([...Array(12)].map(() => settings.get(tenantId)));
    expect(new Set(got).size).toBe(1);
    expect(got[0].callbackUrl).toBe('https://crm.example/one');
    expect((await tenantReads()) - before).toBe(1);
  });

  it('past fresh, answers at once with the cached tenant while one read brings the change', async () => {
    await settings.get(tenantId);
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/two' WHERE id = $1`, [tenantId]);
    clock += TENANT_FRESH_MS - 1;
    expect((await settings.get(tenantId)).callbackUrl).toBe('https://crm.example/one');

    clock += 2;
    const before = await tenantReads();
    const stale = await Promise.all([...Array(8)].map(() => settings.get(tenantId)));
    expect(stale.map((s) => s.callbackUrl)).toEqual(Array(8).fill('https://crm.example/one'));
    for (let i = 0; i < 100 && (await settings.get(tenantId)).callbackUrl !== 'https://crm.example/two'; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await settings.get(tenantId)).callbackUrl).toBe('https://crm.example/two');
    expect((await tenantReads()) - before).toBe(1);
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/one' WHERE id = $1`, [tenantId]);
  });

  it('past the stale limit, the caller waits for the read', async () => {
    await settings.get(tenantId);
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/three' WHERE id = $1`, [tenantId]);
    clock += TENANT_STALE_LIMIT_MS;
    expect((await settings.get(tenantId)).callbackUrl).toBe('https://crm.example/three');
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/one' WHERE id = $1`, [tenantId]);
  });

  it('forget drops the cached tenant and a read that began before it', async () => {
    await settings.get(tenantId);
    clock += TENANT_FRESH_MS;
    void settings.get(tenantId); // the background read begins
    settings.forget(tenantId);
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/four' WHERE id = $1`, [tenantId]);
    expect((await settings.get(tenantId)).callbackUrl).toBe('https://crm.example/four');
    await ds.query(`UPDATE tenants SET callback_url = 'https://crm.example/one' WHERE id = $1`, [tenantId]);
  });

  it('an unknown tenant is NOT_FOUND, and not cached as anything', async () => {
    await expect(settings.get('0190a000-0000-7000-8000-0000000000ff')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

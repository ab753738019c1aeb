import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { createDataSource } from './data-source';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrations');
  });
  afterAll(async () => db.drop());

  it('create every table the entities map, with tenant_id on tenant-owned rows', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    const { rows: withTenant } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'`,
    );
    await client.end();
    const tables = rows.map((r) => r.table_name).sort();
    expect(tables).toEqual(
      expect.arrayContaining(['tenants', 'api_keys', 'contacts', 'conversations', 'messages', 'attempts', 'events', 'idempotency_keys', 'outbox', 'callbacks']),
    );
    const tenantScoped = new Set(withTenant.map((r) => r.table_name));
    for (const t of ['api_keys', 'contacts', 'conversations', 'messages', 'attempts', 'events', 'idempotency_keys', 'callbacks', 'senders', 'audit_log', 'decisions']) {
      expect(tenantScoped.has(t)).toBe(true);
    }
  });

  it('leave the event log without foreign keys and every other tenant-owned table with its key to tenants', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ child: string; parent: string }>(
      `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint WHERE contype = 'f'`,
    );
    const { rows: withTenant } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' AND table_name <> 'events'`,
    );
    await client.end();
    expect(rows.filter((r) => r.child === 'events')).toEqual([]);
    const keyed = new Set(rows.filter((r) => r.parent === 'tenants').map((r) => r.child));
    expect(withTenant.map((r) => r.table_name).filter((t) => !keyed.has(t))).toEqual([]);
    expect(rows).toEqual(expect.arrayContaining([{ child: 'attempts', parent: 'messages' }, { child: 'messages', parent: 'contacts' }]));
  });

  it('match the entity metadata (no pending schema change)', async () => {
    const ds = createDataSource(db.url);
    await ds.initialize();
    const sql = await ds.driver.createSchemaBuilder().log();
    await ds.destroy();
    // Index and default differences are expressed in SQL by the migration; tables and columns must match.
    const structural = sql.upQueries.map((q) => q.query).filter((q) => /ADD COLUMN|CREATE TABLE|ALTER COLUMN .* TYPE/i.test(q));
    expect(structural).toEqual([]);
  });
});

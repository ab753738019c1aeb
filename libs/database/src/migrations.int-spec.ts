import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { createDataSource } from './data-source';
import { MIGRATIONS } from './migrations';

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

  it('keep the audit log append-only: update, delete and truncate are refused by PostgreSQL, inserts go on', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const [{ id: tenantId }] = (await client.query<{ id: string }>(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'audit-append-only') RETURNING id`)).rows;
      const insert = () =>
        client.query(`INSERT INTO audit_log (id, tenant_id, actor, action, subject_type, subject_id) VALUES (gen_random_uuid(), $1, 'staff:a@example.jp', 'contact.view', 'contact', 'c1')`, [tenantId]);
      await insert();
      for (const sql of [`UPDATE audit_log SET actor = 'someone-else' WHERE tenant_id = $1`, `DELETE FROM audit_log WHERE tenant_id = $1`]) {
        await expect(client.query(sql, [tenantId])).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(/append-only/) });
      }
      await expect(client.query(`TRUNCATE audit_log`)).rejects.toMatchObject({ code: '42501' });
      await insert();
      const { rows } = await client.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE tenant_id = $1`, [tenantId]);
      expect(rows).toEqual([{ actor: 'staff:a@example.jp' }, { actor: 'staff:a@example.jp' }]);
    } finally {
      await client.end();
    }
  });

  it('revert one by one to an empty schema and apply again (every down() works)', async () => {
    const scratch = await createTestDatabase('migrations_down');
    const ds = await createDataSource(scratch.url).initialize();
    try {
      const tables = async () => (await ds.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`))[0].n as number;
      const full = await tables();
      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration();
      expect(await tables()).toBe(0);
      expect(await ds.query(`SELECT proname FROM pg_proc WHERE proname = 'audit_log_append_only'`)).toEqual([]);
      await ds.runMigrations();
      expect(await tables()).toBe(full);
      expect((await ds.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'audit_log_no_%'`))[0].n).toBe(2);
    } finally {
      await ds.destroy();
      await scratch.drop();
    }
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

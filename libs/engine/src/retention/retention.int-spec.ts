import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, seedTraffic, TestDatabase } from '@tsunagu/testing';
import { RetentionService } from './retention.service';

/** The retention sweep on a real PostgreSQL: old final messages lose their words, nothing else does. */
describe('RetentionService.sweep', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const tenant = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('retention');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'retention')`, [tenant]);
    // 40 messages a day apart, back from now: days 0–39. Ten of the old ones are still in flight.
    await seedTraffic(ds, { tenantId: tenant, contacts: 40, messagesPerContact: 1, at: new Date(), spacingSeconds: 86_400, direction: 'outbound' });
    await ds.query(`UPDATE messages SET status = 'dispatching' WHERE id IN (SELECT id FROM messages WHERE created_at < now() - interval '31 days' ORDER BY created_at LIMIT 2)`);
    await ds.query(
      `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, give_up_at, created_at)
       SELECT gen_random_uuid(), tenant_id, id, 'https://crm.example/cb', jsonb_build_object('type', 'message.inbound', 'text', text, 'metadata', metadata, 'status', status), now(), created_at FROM messages`,
    );
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('removes text, content and metadata of final messages older than the period, and from their callbacks', async () => {
    const service = new RetentionService(ds, { ...inProcessConfig(), retention: { textDays: 30 } });
    expect(await service.sweep()).toEqual({ messages: 8, callbacks: 10 });
    const rows = await ds.query<{ old: boolean; status: string; text: string | null; metadata: unknown; redacted: boolean }[]>(
      `SELECT created_at < now() - interval '30 days' AS old, status, text, metadata, text_redacted AS redacted FROM messages ORDER BY created_at`,
    );
    const old = rows.filter((r) => r.old);
    expect(old.filter((r) => r.status === 'delivered').every((r) => r.text === null && r.metadata === null && r.redacted)).toBe(true);
    // In flight: untouched, whatever its age.
    expect(old.filter((r) => r.status === 'dispatching').map((r) => r.text)).toEqual(['はい', 'はい']);
    expect(rows.filter((r) => !r.old).every((r) => r.text === 'はい' && !r.redacted)).toBe(true);
    const callbacks = await ds.query<{ old: boolean; text: boolean; metadata: boolean; status: boolean }[]>(
      `SELECT created_at < now() - interval '30 days' AS old, payload ? 'text' AS text, payload ? 'metadata' AS metadata, payload ? 'status' AS status FROM callbacks`,
    );
    expect(callbacks.filter((c) => c.old).every((c) => !c.text && !c.metadata && c.status)).toBe(true);
    expect(callbacks.filter((c) => !c.old).every((c) => c.text && c.metadata)).toBe(true);
    // A second run finds nothing more; 0 days means off.
    expect(await service.sweep()).toEqual({ messages: 0, callbacks: 0 });
    expect(await new RetentionService(ds, inProcessConfig()).sweep()).toEqual({ messages: 0, callbacks: 0 });
  });

  it('looks again only at the days since its last run, with a margin for what was in flight', async () => {
    const service = new RetentionService(ds, { ...inProcessConfig(), retention: { textDays: 30 } });
    const [{ swept_before: mark }] = await ds.query<{ swept_before: Date }[]>(`SELECT swept_before FROM retention_marks WHERE name = 'messages'`);
    expect(Math.abs(new Date(mark).getTime() - (Date.now() - 30 * 86_400_000))).toBeLessThan(60_000);
    // A message that was in flight at the last run ends: the next run, looking back over the margin, takes it.
    await ds.query(`UPDATE messages SET status = 'delivered' WHERE status = 'dispatching'`);
    expect((await service.sweep()).messages).toBe(2);
    // One far older than the margin, never swept (as if restored from a backup), is not looked at again.
    await ds.query(`UPDATE messages SET text = 'はい', text_redacted = false WHERE id = (SELECT id FROM messages ORDER BY created_at LIMIT 1)`);
    await ds.query(`UPDATE messages SET created_at = now() - interval '400 days' WHERE id = (SELECT id FROM messages ORDER BY created_at LIMIT 1)`);
    expect((await service.sweep()).messages).toBe(0);
  });
});

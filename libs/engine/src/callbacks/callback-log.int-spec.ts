import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { MessageViewService } from '../queries/message-view.service';
import { CallbackLogService, RECOVER_LIMIT } from './callback-log.service';

/*
 * Recovering a period's failed callbacks page by page, on a real PostgreSQL: each page takes the
 * next ones by (created_at, id), so those put back that fail again at once (a CRM answering 410
 * for ids it no longer knows) do not head every page and keep the rest from ever being reached.
 */
describe('CallbackLogService: recovery pages', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let log: CallbackLogService;
  const tenantId = randomUUID();
  let messageId: string;

  beforeAll(async () => {
    db = await createTestDatabase('callbacklog');
    ds = await createDataSource(db.url).initialize();
    const config = inProcessConfig({ callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } });
    log = new CallbackLogService(ds, new MessageViewService(ds), config);
    const [contactId, conversationId] = [randomUUID(), randomUUID()];
    messageId = randomUUID();
    await ds.query(`INSERT INTO tenants (id, name, callback_url) VALUES ($1, 'recover-pages', 'https://crm.example.jp/cb')`, [tenantId]);
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, $3)`, [contactId, tenantId, `p-${contactId}`]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [conversationId, tenantId, contactId]);
    await ds.query(`INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category) VALUES ($1, $2, $3, $4, 'outbound', 'delivered', 'transactional')`, [
      messageId, tenantId, contactId, conversationId,
    ]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('takes the next page from the cursor, past those of the last page that failed again', async () => {
    const total = RECOVER_LIMIT + 3;
    // Failed over the last hour, some sharing a created_at to the microsecond (the id breaks the tie).
    await ds.query(
      `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, give_up_at, status, tries, created_at)
       SELECT gen_random_uuid(), $1, $2, 'https://crm.example.jp/cb', '{"type":"message.status","status":"delivered"}', now(), 'failed', 3,
              date_trunc('second', now()) - make_interval(secs => (g / 2)::int)
       FROM generate_series(1, $3) g`,
      [tenantId, messageId, total],
    );
    const since = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const first = await log.recover(tenantId, { since });
    expect(first.redelivered).toBe(RECOVER_LIMIT);
    expect(first.nextCursor).toEqual(expect.any(String));
    const firstIds = (await ds.query(`SELECT id FROM callbacks WHERE tenant_id = $1 AND status = 'pending'`, [tenantId])) as { id: string }[];
    expect(firstIds).toHaveLength(RECOVER_LIMIT);
    // Tried at once and refused for good: failed again, in the same period.
    await ds.query(`UPDATE callbacks SET status = 'failed' WHERE tenant_id = $1 AND status = 'pending'`, [tenantId]);

    const second = await log.recover(tenantId, { since, after: first.nextCursor! });
    expect(second).toEqual({ redelivered: 3, nextCursor: null });
    const secondIds = ((await ds.query(`SELECT id FROM callbacks WHERE tenant_id = $1 AND status = 'pending'`, [tenantId])) as { id: string }[]).map((r) => r.id);
    expect(secondIds).toHaveLength(3);
    expect(secondIds.filter((id) => firstIds.some((f) => f.id === id))).toEqual([]);
    // Each put back has its job, for the try after its last.
    const jobs = (await ds.query(`SELECT count(*)::int AS n FROM outbox WHERE job_id LIKE 'callback-%-3' AND payload->>'tries' = '3'`)) as { n: number }[];
    expect(jobs[0].n).toBe(total);
  });
});

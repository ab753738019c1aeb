import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { countOrphanEvents } from './orphan-events';

describe('countOrphanEvents (the soak check that stands in for the event log’s foreign keys)', () => {
  let db: TestDatabase;
  let client: Client;
  const tenant = randomUUID();
  const insertEvent = (tenantId: string | null, messageId: string | null = null, attemptId: string | null = null) =>
    client.query(`INSERT INTO events (id, tenant_id, message_id, attempt_id, source, type, occurred_at) VALUES ($1, $2, $3, $4, 'engine', 'test', now())`, [
      randomUUID(),
      tenantId,
      messageId,
      attemptId,
    ]);

  beforeAll(async () => {
    db = await createTestDatabase('orphan_events');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO tenants (id, name) VALUES ($1, 'orphans')`, [tenant]);
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('counts nothing for events that name rows that exist', async () => {
    await insertEvent(tenant);
    await insertEvent(null);
    expect(await countOrphanEvents(client)).toBe(0);
  });

  it('counts each event naming a missing tenant, message or attempt', async () => {
    await insertEvent(randomUUID());
    await insertEvent(tenant, randomUUID());
    await insertEvent(tenant, null, randomUUID());
    expect(await countOrphanEvents(client)).toBe(3);
  });
});

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChannelEvent } from '@tsunagu/core';
import { createDataSource } from '@tsunagu/database';
import { buffersTouched, createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { MATCHED_PARKED, ParkedEvents } from './parked-events';

/**
 * The reconciler's sweep releases parked receipts whose attempt is known by now. It runs every
 * few seconds whatever the load, so its cost must follow the receipts parked, not the attempts
 * written: counted in buffers touched (a measure that does not depend on the machine's speed).
 */
describe('ParkedEvents sweep on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let parked: ParkedEvents;
  const replayed: ChannelEvent[] = [];
  const ids = { tenant: randomUUID(), contact: randomUUID(), conversation: randomUUID(), message: randomUUID(), multipart: randomUUID() };
  const receipt = (channel: string, providerMessageId: string): ChannelEvent => ({ channel, type: 'delivered', providerMessageId, occurredAt: new Date() }) as ChannelEvent;

  beforeAll(async () => {
    db = await createTestDatabase('parked');
    ds = await createDataSource(db.url).initialize();
    parked = new ParkedEvents(ds);
    parked.bind(async (events) => void replayed.push(...events));
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'parked')`, [ids.tenant]);
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, 'bidx')`, [ids.contact, ids.tenant]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [ids.conversation, ids.tenant, ids.contact]);
    await ds.query(
      `WITH m AS (
         INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category)
         SELECT gen_random_uuid(), $1, $2, $3, 'outbound', 'dispatching', 'transactional' FROM generate_series(1, 6000)
         RETURNING id
       )
       INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, provider_message_id, timeout_seconds)
       SELECT gen_random_uuid(), $1, m.id, 1, 'sms', 'sent', 'bulk-' || row_number() OVER (), 600 FROM m`,
      [ids.tenant, ids.contact, ids.conversation],
    );
    await ds.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category) VALUES ($1, $2, $3, $4, 'outbound', 'dispatching', 'transactional')`,
      [ids.message, ids.tenant, ids.contact, ids.conversation],
    );
    await ds.query(`INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, provider_message_id, timeout_seconds) VALUES ($1, $2, $3, 1, 'sms', 'sent', 'part-0', 600)`, [
      ids.multipart,
      ids.tenant,
      ids.message,
    ]);
    await ds.query(`INSERT INTO attempt_parts (attempt_id, part_index, provider_message_id) VALUES ($1, 0, 'part-0'), ($1, 1, 'part-1')`, [ids.multipart]);
    await ds.query('ANALYZE');
    for (const [channel, id] of [['sms', 'bulk-5'], ['sms', 'part-1'], ['rcs', 'bulk-7'], ['sms', 'nobody']]) await parked.park(receipt(channel, id));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('reads a few index pages per parked receipt, not the attempts table', async () => {
    expect(await buffersTouched(ds, MATCHED_PARKED)).toBeLessThan(60);
  });

  it('releases the receipts whose attempt or part is known on their channel, and keeps the rest parked', async () => {
    expect(await parked.releaseMatched()).toBe(2);
    expect(replayed.map((e) => e.providerMessageId).sort()).toEqual(['bulk-5', 'part-1']);
    const left = await ds.query(`SELECT channel, provider_message_id FROM parked_events ORDER BY provider_message_id`);
    expect(left).toEqual([
      { channel: 'rcs', provider_message_id: 'bulk-7' },
      { channel: 'sms', provider_message_id: 'nobody' },
    ]);
  });
});

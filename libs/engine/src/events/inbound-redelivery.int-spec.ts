import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { buffersTouched, createTestDatabase, seedTraffic, TestDatabase } from '@tsunagu/testing';
import { MO_SEEN } from './inbound.service';

/**
 * Every SMS reply asks whether the SMSC is offering it again (`MO_SEEN`). That look runs per
 * reply, so it must read the contact's last two minutes, not the messages table: counted in
 * buffers touched (a measure that does not depend on the machine's speed) beside 6,000 messages
 * of 3,000 other contacts.
 */
describe('SMS reply redelivery check on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const tenant = randomUUID();
  const person = { contact: randomUUID(), conversation: randomUUID() };
  const at = new Date();

  beforeAll(async () => {
    db = await createTestDatabase('moseen');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'mo')`, [tenant]);
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, 'bidx')`, [person.contact, tenant]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [person.conversation, tenant, person.contact]);
    // Other people's replies: 3,000 contacts, two each, over the last hours.
    await seedTraffic(ds, { tenantId: tenant, contacts: 3000, messagesPerContact: 2, at, spacingSeconds: 3, direction: 'inbound' });
    await ds.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, channel, status, text, metadata, created_at)
       VALUES (gen_random_uuid(), $1, $2, $3, 'inbound', 'sms', 'received', 'はい', '{"recipient": "00051234"}', $4)`,
      [tenant, person.contact, person.conversation, at],
    );
    await ds.query('ANALYZE');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const seen = async (text: string, recipient: string, occurredAt: Date) => (await ds.query(MO_SEEN, [person.contact, text, recipient, occurredAt, 120])).length > 0;

  it('finds the same text to the same recipient within the window, and nothing else', async () => {
    expect(await seen('はい', '00051234', new Date(at.getTime() + 5_000))).toBe(true);
    expect(await seen('いいえ', '00051234', new Date(at.getTime() + 5_000))).toBe(false);
    expect(await seen('はい', '00059999', new Date(at.getTime() + 5_000))).toBe(false);
    expect(await seen('はい', '00051234', new Date(at.getTime() + 121_000))).toBe(false);
  });

  it("reads the contact's window on the conversation index, not the messages table", async () => {
    const params = [person.contact, 'いいえ', '00051234', new Date(at.getTime() + 5_000).toISOString(), 120];
    expect(await buffersTouched(ds, MO_SEEN, params)).toBeLessThan(20);
  });
});

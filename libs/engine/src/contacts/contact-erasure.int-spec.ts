import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '@tsunagu/channels';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { ContactErasureService } from './contact-erasure.service';
import { ContactService } from './contact.service';

/**
 * What an erasure leaves of a message's metadata, on a real PostgreSQL. `crm_ref` is the CRM's
 * `metadata.reference`, copied to a column so history can be searched by it (`GET
 * /v1/messages?reference=`, the console's search): gone with the metadata, or the reference still
 * leads to the erased person's whole conversation.
 */
describe("Contact erasure and the CRM's reference, on a real PostgreSQL", () => {
  let db: TestDatabase;
  let ds: DataSource;
  let erasure: ContactErasureService;
  let contacts: ContactService;
  const tenantId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('erasureref');
    ds = await createDataSource(db.url).initialize();
    contacts = new ContactService(ds, new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64'))));
    erasure = new ContactErasureService(ds, contacts, ChannelRegistry.of([]));
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'erasure-ref')`, [tenantId]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('removes the reference with the metadata it came from, and only from the erased contact', async () => {
    const person = await ds.transaction((m) => contacts.upsert(m, tenantId, '+819012345678'));
    const other = await ds.transaction((m) => contacts.upsert(m, tenantId, '+819087654321'));
    for (const [who, ref] of [[person, 'customer-42'], [other, 'customer-43']] as const) {
      await ds.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, category, status, text, metadata, crm_ref)
         VALUES ($1, $2, $3, $4, 'outbound', 'transactional', 'delivered', 'hello', $5, $6)`,
        [randomUUID(), tenantId, who.contactId, who.conversationId, JSON.stringify({ reference: ref }), ref],
      );
    }

    await erasure.erase(tenantId, person.contactId, 'test');

    const byReference = async (ref: string) => (await ds.query(`SELECT contact_id FROM messages WHERE tenant_id = $1 AND crm_ref = $2`, [tenantId, ref])) as unknown[];
    expect(await byReference('customer-42')).toEqual([]);
    expect(await byReference('customer-43')).toEqual([{ contact_id: other.contactId }]);
  });
});

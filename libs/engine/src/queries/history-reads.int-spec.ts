import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { buffersTouched, createTestDatabase, seedTraffic, TestDatabase } from '@tsunagu/testing';
import { ContactService } from '../contacts/contact.service';
import { CONTACT_EVENTS, ConversationService } from './conversation.service';

/**
 * The console's timeline of one contact runs on every staff view; beside a busy tenant's history
 * it must read the contact's rows, not the tables: counted in buffers touched (a measure that
 * does not depend on the machine's speed) beside 6,000 messages of 3,000 other contacts.
 */
describe('contact history reads on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let conversations: ConversationService;
  let contacts: ContactService;
  const tenant = randomUUID();
  let contactId: string;
  const at = new Date();

  beforeAll(async () => {
    db = await createTestDatabase('history');
    ds = await createDataSource(db.url).initialize();
    contacts = new ContactService(ds, new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64'))));
    conversations = new ConversationService(ds, contacts);
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'history')`, [tenant]);
    await seedTraffic(ds, { tenantId: tenant, contacts: 3000, messagesPerContact: 2, at, spacingSeconds: 5, direction: 'outbound' });
    contactId = (await contacts.upsert(ds.manager, tenant, '+819012345678')).contactId;
    for (const [i, text] of ['一', '二', '三'].entries()) {
      await ds.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, channel, status, text, category, created_at)
         SELECT gen_random_uuid(), $1, $2, id, 'outbound', 'sms', 'delivered', $3, 'transactional', $4 FROM conversations WHERE contact_id = $2`,
        [tenant, contactId, text, new Date(at.getTime() - (3 - i) * 60_000)],
      );
    }
    await ds.query(
      `INSERT INTO events (id, tenant_id, message_id, source, type, detail, occurred_at)
       SELECT gen_random_uuid(), $1, NULL, 'line', 'contact.linked', jsonb_build_object('contactId', c.id), now() FROM contacts c`,
      [tenant],
    );
    await ds.query('ANALYZE');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it("pages through the contact's messages newest first, and only theirs, with the contact's own events", async () => {
    const first = await conversations.timeline(tenant, contactId, { limit: 2 });
    expect(first.items.map((m) => m.text)).toEqual(['三', '二']);
    expect(first.contactEvents.map((e) => e.type)).toEqual(['contact.linked']);
    const second = await conversations.timeline(tenant, contactId, { limit: 2, before: first.nextCursor! });
    expect(second.items.map((m) => m.text)).toEqual(['一']);
  });

  it('pages past messages of the same microsecond (accepts committed together share one now())', async () => {
    const batched = (await contacts.upsert(ds.manager, tenant, '+819087654321')).contactId;
    const texts = ['a', 'b', 'c', 'd', 'e'];
    for (const text of texts) {
      await ds.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, channel, status, text, category, created_at)
         SELECT gen_random_uuid(), $1, $2, id, 'outbound', 'sms', 'delivered', $3, 'transactional', '2025-03-01T01:02:03.456789Z' FROM conversations WHERE contact_id = $2`,
        [tenant, batched, text],
      );
    }
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await conversations.timeline(tenant, batched, { limit: 2, before });
      seen.push(...page.items.map((m) => m.text!));
      before = page.nextCursor ?? undefined;
    } while (before);
    expect(seen.sort()).toEqual(texts);
  });

  it("reads a page of the contact's messages on the conversation index, not the messages table", async () => {
    const [sql, params] = conversations.messagesPage(tenant, contactId, 21).getQueryAndParameters();
    expect(await buffersTouched(ds, sql, params)).toBeLessThan(30);
  });

  it('keeps an opt-out on the list after more replies than the list holds', async () => {
    const chatty = (await contacts.upsert(ds.manager, tenant, '+819011112222')).contactId;
    const event = (type: string, minutesAgo: number) =>
      ds.query(
        `INSERT INTO events (id, tenant_id, message_id, source, type, detail, occurred_at)
         VALUES (gen_random_uuid(), $1, NULL, 'sms', $2, jsonb_build_object('contactId', $3::text), now() - make_interval(mins => $4))`,
        [tenant, type, chatty, minutesAgo],
      );
    await event('inbound.opt_out', 120);
    for (let i = 0; i < 60; i += 1) await event('inbound.inbound_message', 60 - i);
    const page = await conversations.timeline(tenant, chatty, { limit: 2 });
    expect(page.contactEvents.map((e) => e.type)).toEqual(['inbound.opt_out']);
  });

  it("reads the contact's own events on their index, not every event without a message", async () => {
    expect(await buffersTouched(ds, CONTACT_EVENTS, [tenant, contactId])).toBeLessThan(20);
  });
});

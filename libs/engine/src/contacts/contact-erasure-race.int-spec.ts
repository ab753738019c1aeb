import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { ChannelRegistry } from '@tsunagu/channels';
import { inProcessConfig } from '@tsunagu/config';
import { ChannelEvent } from '@tsunagu/core';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, expectEventually, TestDatabase } from '@tsunagu/testing';
import { CallbackWriter } from '../callbacks/callback.writer';
import { InboundService } from '../events/inbound.service';
import { StateRecorder } from '../events/state-recorder';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { ContactErasureService } from './contact-erasure.service';
import { ContactService } from './contact.service';

/**
 * An erasure that commits while a LINE event from the person is being recorded, on a real
 * PostgreSQL. The event found its contact by LINE user id before the erasure; what it then writes
 * (the reply's text and its callback, or a follow's LINE user id) must not land on the erased
 * contact. The event is held between finding the contact and writing by another transaction that
 * holds the same provider event id, released once the erasure has had its chance to run.
 */
describe('Contact erasure racing a LINE event, on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let inbound: InboundService;
  let erasure: ContactErasureService;
  let contacts: ContactService;
  const tenantId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('erasurerace');
    ds = await createDataSource(db.url).initialize();
    const config = inProcessConfig({ callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } });
    const cipher = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
    const tenants = new TenantSettingsService(ds, config, cipher);
    const writer = new CallbackWriter(tenants, config);
    contacts = new ContactService(ds, cipher);
    inbound = new InboundService(ds, contacts, new StateRecorder(writer), writer);
    erasure = new ContactErasureService(ds, contacts, ChannelRegistry.of([]));
    await ds.query(`INSERT INTO tenants (id, name, callback_url) VALUES ($1, 'erasure-race', 'https://crm.example/cb')`, [tenantId]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function linkedContact(): Promise<{ contactId: string; lineUserId: string }> {
    const lineUserId = `U${randomBytes(16).toString('hex')}`;
    const { contactId } = await ds.transaction((m) => contacts.upsert(m, tenantId, `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`));
    await ds.query(`UPDATE contacts SET line_user_id = $2, line_following = true WHERE id = $1`, [contactId, lineUserId]);
    return { contactId, lineUserId };
  }

  /** Another transaction writing the event's provider id: the event's own insert waits on it. */
  async function holdEventId(providerEventId: string): Promise<QueryRunner> {
    const holder = ds.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`INSERT INTO events (id, tenant_id, source, type, provider_event_id, occurred_at) VALUES ($1, $2, 'line', 'hold', $3, now())`, [
      randomUUID(),
      tenantId,
      providerEventId,
    ]);
    return holder;
  }

  const waitingOnLocks = async (): Promise<number> =>
    ((await ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)) as { n: number }[])[0].n;

  /** Runs the event and the erasure with the event held mid-way; both end, whichever way. */
  async function race(event: ChannelEvent, contactId: string): Promise<void> {
    const holder = await holdEventId(event.providerEventId);
    try {
      const recorded = inbound.handle(event);
      await expectEventually(async () => expect(await waitingOnLocks()).toBe(1));
      let erased = false;
      const erasing = erasure.erase(tenantId, contactId, 'test').then(() => (erased = true));
      // The erasure either ends while the event waits, or waits for the event.
      await expectEventually(async () => expect(erased || (await waitingOnLocks()) === 2).toBe(true));
      await holder.rollbackTransaction();
      await Promise.all([recorded, erasing]);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  }

  it("leaves no reply text on an erased contact's messages or callbacks", async () => {
    const { contactId, lineUserId } = await linkedContact();
    const event: ChannelEvent = {
      channel: 'line',
      type: 'inbound_message',
      providerEventId: `line-${randomUUID()}`,
      tenantId,
      occurredAt: new Date(),
      from: { lineUserId },
      text: 'my address is 1-2-3 Shibuya',
      contentType: 'text',
    };
    await race(event, contactId);

    const texts = (await ds.query(`SELECT text, metadata FROM messages WHERE contact_id = $1 AND (text IS NOT NULL OR metadata IS NOT NULL)`, [contactId])) as unknown[];
    expect(texts).toEqual([]);
    const payloads = (await ds.query(
      `SELECT payload FROM callbacks WHERE message_id IN (SELECT id FROM messages WHERE contact_id = $1) AND (payload ? 'text' OR payload ? 'metadata')`,
      [contactId],
    )) as unknown[];
    expect(payloads).toEqual([]);
  });

  it('does not give an erased contact its LINE user id back on a follow', async () => {
    const { contactId, lineUserId } = await linkedContact();
    const event: ChannelEvent = { channel: 'line', type: 'opt_in', providerEventId: `line-${randomUUID()}`, tenantId, occurredAt: new Date(), from: { lineUserId } };
    await race(event, contactId);

    const [row] = (await ds.query(`SELECT line_user_id, line_following, erased_at FROM contacts WHERE id = $1`, [contactId])) as {
      line_user_id: string | null;
      line_following: boolean | null;
      erased_at: Date | null;
    }[];
    expect(row.erased_at).not.toBeNull();
    expect(row).toMatchObject({ line_user_id: null, line_following: null });
  });
});

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource, MIGRATIONS } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { MessageListService } from '../queries/message-list.service';
import { RetentionService } from './retention.service';

/*
 * The retention sweep and the CRM's reference, on a real PostgreSQL. `crm_ref` is
 * `metadata.reference` in a column of its own, which `GET /v1/messages?reference=` lists by: a
 * customer number names the person, so once a message's words are gone it must no longer be found
 * by it. Messages swept before the sweep cleared it lose it at the next sweeps, which a migration
 * sends back over every day.
 */
describe("Retention and the CRM's reference", () => {
  let db: TestDatabase;
  let ds: DataSource;
  let list: MessageListService;
  const tenantId = randomUUID();
  const REF = 'customer-0042';
  let contactId: string;
  let conversationId: string;

  beforeAll(async () => {
    db = await createTestDatabase('retentionref');
    ds = await createDataSource(db.url).initialize();
    list = new MessageListService(ds);
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'retention-ref')`, [tenantId]);
    [contactId, conversationId] = [randomUUID(), randomUUID()];
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, $3)`, [contactId, tenantId, `ref-${contactId}`]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [conversationId, tenantId, contactId]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** A message sent under REF `daysAgo` days ago; `swept`: as a sweep that kept the reference left it. */
  async function message(daysAgo: number, status: string, o: { swept?: boolean; otpWiped?: boolean } = {}): Promise<string> {
    const id = randomUUID();
    const metadata = o.swept ? null : JSON.stringify({ reference: REF });
    const text = o.swept || o.otpWiped ? null : 'ご注文の商品を発送しました';
    await ds.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, category, status, text, text_redacted, metadata, crm_ref, created_at)
       VALUES ($1, $2, $3, $4, 'outbound', 'transactional', $5, $6, $7, $8, $9, now() - ($10 || ' days')::interval)`,
      [id, tenantId, contactId, conversationId, status, text, text === null, metadata, REF, daysAgo],
    );
    return id;
  }
  const listed = async () => (await list.byReference(tenantId, { reference: REF, limit: 100 })).items.map((m) => m.id).sort();

  it('clears the reference of the messages it sweeps: no longer listed under it, while newer and in-flight ones still are', async () => {
    const old = await message(40, 'delivered');
    const inFlight = await message(40, 'dispatching');
    const recent = await message(5, 'read');
    // Swept before this release: its words gone, its reference kept. Within the days a run looks at, so swept again.
    const sweptBefore = await message(38, 'delivered', { swept: true });
    expect(await listed()).toEqual([old, inFlight, recent, sweptBefore].sort());

    const service = new RetentionService(ds, { ...inProcessConfig(), retention: { textDays: 30 } });
    expect((await service.sweep()).messages).toBe(2);

    expect(await listed()).toEqual([inFlight, recent].sort());
    const [row] = await ds.query<{ crm_ref: string | null; metadata: unknown; text_redacted: boolean }[]>(`SELECT crm_ref, metadata, text_redacted FROM messages WHERE id = $1`, [old]);
    expect(row).toEqual({ crm_ref: null, metadata: null, text_redacted: true });
    // Nothing left for the next run.
    expect((await service.sweep()).messages).toBe(0);
  });

  it('after the migration, the next sweep clears the references that sweeps before it kept, and only those', async () => {
    // Far behind the last run's mark: the sweep does not look there again.
    const longAgo = await message(400, 'delivered', { swept: true });
    // An OTP's text is wiped once final, its metadata kept until retention: its reference stays too.
    const otp = await message(3, 'delivered', { otpWiped: true });
    const service = new RetentionService(ds, { ...inProcessConfig(), retention: { textDays: 30 } });
    expect((await service.sweep()).messages).toBe(0);
    expect(await listed()).toEqual(expect.arrayContaining([longAgo, otp]));

    // The migration itself, run again on rows laid down as the sweeps before it left them.
    const Migration = MIGRATIONS.find((m) => m.name === 'RetentionClearsCrmRef1767960000000');
    if (!Migration) throw new Error('RetentionClearsCrmRef1767960000000 is not among MIGRATIONS');
    const q = ds.createQueryRunner();
    try {
      await new Migration().up(q);
    } finally {
      await q.release();
    }
    // The migration forgets the sweep's mark: its next run walks every day again, in its batches.
    expect(await listed()).toEqual(expect.arrayContaining([longAgo, otp]));
    expect((await service.sweep()).messages).toBe(1);
    const after = await listed();
    expect(after).not.toContain(longAgo);
    expect(after).toContain(otp);
  });
});

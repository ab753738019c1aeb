import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource, MessageEntity } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { StateRecorder } from '../events/state-recorder';
import { inTx } from '../infra/tx';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { CallbackWriter } from './callback.writer';

/** Every timer and tick stays real; only `Date` is the skewed process clock. */
const ONLY_DATE = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

/**
 * A callback's `occurredAt` on a real PostgreSQL: the instant PostgreSQL recorded the change (the
 * event row's `created_at`), whatever the clock of the process that wrote it says. The processes
 * here run an hour fast and an hour slow (jest's fake `Date`, nothing else faked).
 */
describe("CallbackWriter's occurredAt, on a real PostgreSQL", () => {
  let db: TestDatabase;
  let ds: DataSource;
  let recorder: StateRecorder;
  const tenantId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('callbackwriter');
    ds = await createDataSource(db.url).initialize();
    const config = inProcessConfig({ callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } });
    const tenants = new TenantSettingsService(ds, config, new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64'))));
    recorder = new StateRecorder(new CallbackWriter(tenants, config));
    await ds.query(`INSERT INTO tenants (id, name, callback_url) VALUES ($1, 'occurred', 'https://crm.example/cb')`, [tenantId]);
  });
  afterEach(() => jest.useRealTimers());
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function message(): Promise<MessageEntity> {
    const [contactId, conversationId, messageId] = [randomUUID(), randomUUID(), randomUUID()];
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, $3)`, [contactId, tenantId, `bidx-${contactId}`]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [conversationId, tenantId, contactId]);
    await ds.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category) VALUES ($1, $2, $3, $4, 'outbound', 'accepted', 'transactional')`,
      [messageId, tenantId, contactId, conversationId],
    );
    return ds.getRepository(MessageEntity).findOneByOrFail({ id: messageId });
  }

  /** One state change recorded by a process whose clock is `skewMs` off. */
  async function recordWithClock(skewMs: number, m: MessageEntity, status: 'dispatching' | 'delivered'): Promise<void> {
    jest.useFakeTimers({ now: Date.now() + skewMs, doNotFake: [...ONLY_DATE] });
    try {
      await inTx(ds, (tx) => recorder.message(tx, m, status, { source: 'engine' }));
    } finally {
      jest.useRealTimers();
    }
  }

  /** Each callback's occurredAt beside its event row's created_at, in the same form. */
  const sent = async (messageId: string) =>
    (await ds.query(
      `SELECT c.payload->>'status' AS status, c.payload->>'occurredAt' AS "occurredAt",
              to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "eventCreatedAt",
              e.occurred_at = e.created_at AS "eventOccurredAtCommit"
         FROM callbacks c JOIN events e ON e.message_id = c.message_id AND e.type = 'message.status' AND e.status = c.payload->>'status'
        WHERE c.message_id = $1 ORDER BY e.created_at`,
      [messageId],
    )) as { status: string; occurredAt: string; eventCreatedAt: string; eventOccurredAtCommit: boolean }[];

  it('is the event row\'s created_at, not the writing process\'s clock, in the ISO form it always had', async () => {
    const m = await message();
    await recordWithClock(3_600_000, m, 'dispatching');
    const [cb] = await sent(m.id);
    expect(cb.occurredAt).toBe(cb.eventCreatedAt);
    // The event's own occurred_at (GET /v1/messages/{id} shows it) is PostgreSQL's time too: no provider time here.
    expect(cb.eventOccurredAtCommit).toBe(true);
    expect(cb.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(new Date(cb.occurredAt).toISOString()).toBe(cb.occurredAt);
    expect(Math.abs(Date.parse(cb.occurredAt) - Date.now())).toBeLessThan(60_000);
  });

  it("orders one message's callbacks as their changes were committed, when the processes' clocks disagree", async () => {
    const m = await message();
    await recordWithClock(3_600_000, m, 'dispatching'); // a worker an hour fast
    await recordWithClock(-3_600_000, m, 'delivered'); // then one an hour slow
    const cbs = await sent(m.id);
    expect(cbs.map((c) => c.status)).toEqual(['dispatching', 'delivered']);
    for (const c of cbs) expect(c.occurredAt).toBe(c.eventCreatedAt);
    expect(Date.parse(cbs[0].occurredAt)).toBeLessThanOrEqual(Date.parse(cbs[1].occurredAt));
  });
});

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inProcessConfig, TsunaguConfig } from '@tsunagu/config';
import { ChannelEvent } from '@tsunagu/core';
import { createDataSource } from '@tsunagu/database';
import { buffersTouched, createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL, TestDatabase } from '@tsunagu/testing';
import { EngineRedis } from '../infra/engine-redis';
import { JobQueues } from '../infra/job-queues.service';
import { ReconcilerService } from '../relay/reconciler.service';
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
  let config: TsunaguConfig;
  let engineRedis: EngineRedis;
  const redis = createTestRedisPrefix('parked');
  const replayed: ChannelEvent[] = [];
  const ids = { tenant: randomUUID(), contact: randomUUID(), conversation: randomUUID(), message: randomUUID(), multipart: randomUUID() };
  const receipt = (channel: string, providerMessageId: string): ChannelEvent => ({ channel, type: 'delivered', providerMessageId, occurredAt: new Date() }) as ChannelEvent;

  beforeAll(async () => {
    db = await createTestDatabase('parked');
    ds = await createDataSource(db.url).initialize();
    config = inProcessConfig({ databaseUrl: db.url, redisUrl: TEST_REDIS_URL, redisPrefix: redis.prefix });
    engineRedis = new EngineRedis(config);
    parked = new ParkedEvents(ds, config, engineRedis);
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
    engineRedis?.onApplicationShutdown();
    await ds?.destroy();
    await db?.drop();
    await redis.cleanup();
  });

  /** Ages parked receipts past their TTL, as ten minutes without their submit response would. */
  const outlive = (...ids: string[]) => ds.query(`UPDATE parked_events SET expires_at = now() - interval '1 second' WHERE provider_message_id = ANY($1)`, [ids]);

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
  it('expires orphans past their TTL, counted by channel for /metrics, and keeps those still within it', async () => {
    for (const [channel, id] of [['sms', 'orphan-1'], ['sms', 'orphan-2'], ['line', 'orphan-3']]) await parked.park(receipt(channel, id));
    await outlive('orphan-1', 'orphan-2', 'orphan-3');
    expect(await parked.expire()).toEqual({ sms: 2, line: 1 });
    expect(await parked.expiredCounts()).toEqual({ sms: 2, line: 1 });
    const left = await ds.query(`SELECT provider_message_id FROM parked_events ORDER BY provider_message_id`);
    expect(left).toEqual([{ provider_message_id: 'bulk-7' }, { provider_message_id: 'nobody' }]);
    // Nothing more past its TTL: a second sweep counts nothing again.
    expect(await parked.expire()).toEqual({});
    expect(await parked.expiredCounts()).toEqual({ sms: 2, line: 1 });
  });

  it('counts each orphan once when two workers sweep at the same moment', async () => {
    const otherRedis = new EngineRedis(config);
    const other = new ParkedEvents(ds, config, otherRedis);
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
      for (const id of ids) await parked.park(receipt('sms', id));
      await outlive(...ids);
      const [a, b] = await Promise.all([parked.expire(), other.expire()]);
      expect((a.sms ?? 0) + (b.sms ?? 0)).toBe(40);
      expect(await other.expiredCounts()).toEqual({ sms: 42, line: 1 });
    } finally {
      otherRedis.onApplicationShutdown();
    }
  });

  it("the reconciler's sweep: an orphan whose submit response came is applied, one whose TTL ran out is expired and counted", async () => {
    const queues = new JobQueues(config);
    const reconciler = new ReconcilerService(ds, queues, parked, config);
    try {
      replayed.length = 0;
      await parked.park(receipt('sms', 'answered-late'));
      await parked.park(receipt('sms', 'never-answered'));
      await outlive('answered-late', 'never-answered');
      // The submit response for one of them arrives (its attempt now has the id) before the sweep.
      await ds.query(`UPDATE attempts SET provider_message_id = 'answered-late' WHERE provider_message_id = 'bulk-9'`);
      expect(await reconciler.runOnce()).toMatchObject({ orphansExpired: 1 });
      expect(replayed.map((e) => e.providerMessageId)).toEqual(['answered-late']);
      expect(await parked.expiredCounts()).toEqual({ sms: 43, line: 1 });
      expect(await ds.query(`SELECT 1 FROM parked_events WHERE provider_message_id IN ('answered-late', 'never-answered')`)).toEqual([]);
    } finally {
      await queues.onModuleDestroy();
    }
  });
});

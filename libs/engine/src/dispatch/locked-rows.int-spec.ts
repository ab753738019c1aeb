import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AttemptEntity, ContactEntity, MessageEntity, createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { literal } from '../infra/sql-literal';
import { inTx } from '../infra/tx';
import { LockedRows } from './locked-rows';

/**
 * The hot paths read entities as one JSON value each (EntityRows): what they build must be
 * exactly what TypeORM's own repository loads — dates as Dates, bytea as Buffers, arrays,
 * jsonb, nulls — or the policy and the adapters would see different values than everywhere else.
 */
describe('LockedRows on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let rows: LockedRows;
  const ids = { tenant: randomUUID(), contact: randomUUID(), conversation: randomUUID(), message: randomUUID(), bare: randomUUID(), a1: randomUUID(), a2: randomUUID() };

  beforeAll(async () => {
    db = await createTestDatabase('lockedrows');
    ds = await createDataSource(db.url).initialize();
    rows = new LockedRows(ds);
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'rows')`, [ids.tenant]);
    await ds.query(
      `INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx, line_user_id, line_following, opt_outs, capabilities)
       VALUES ($1, $2, '\\x00ff10'::bytea, 'bidx', 'U123', true, '{sms,"line"}', '{"rcs": {"reachable": false, "reason": "not \\"capable\\"", "checkedAt": "2026-01-01T00:00:00.000Z", "expiresAt": "2026-01-02T00:00:00.000Z"}}')`,
      [ids.contact, ids.tenant],
    );
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [ids.conversation, ids.tenant, ids.contact]);
    for (const [id, text] of [[ids.message, 'ご注文 "quoted" \\ back\nline'], [ids.bare, null]]) {
      await ds.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, text, plan, metadata, category, send_at, due_at, created_at)
         VALUES ($1, $2, $3, $4, 'outbound', 'dispatching', $5, $6, $7, 'transactional', '2026-03-04 05:06:07.891234+00', now() + interval '1 hour', '2026-03-04 05:06:07.5+09')`,
        [id, ids.tenant, ids.contact, ids.conversation, text, JSON.stringify({ channels: ['rcs', 'sms'], timeouts: { rcs: 60 }, successOn: 'delivered', allowInternational: false, smsRoute: 'docomo' }), JSON.stringify({ order: 42, nested: { ok: true } })],
      );
    }
    await ds.query(
      `INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, route, provider_message_id, permanent, retries, timeout_seconds, deadline_at, sent_at)
       VALUES ($1, $3, $4, 1, 'rcs', 'expired', NULL, 'rbm-1', NULL, 2, 60, now(), now()), ($2, $3, $4, 2, 'sms', 'sent', 'docomo', 'smsc-9', false, 0, 120, now() + interval '2 minutes', now())`,
      [ids.a1, ids.a2, ids.tenant, ids.message],
    );
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const loaded = async () => ({
    message: await ds.getRepository(MessageEntity).findOneByOrFail({ id: ids.message }),
    contact: await ds.getRepository(ContactEntity).findOneByOrFail({ id: ids.contact }),
    attempts: await ds.getRepository(AttemptEntity).find({ where: { messageId: ids.message }, order: { seq: 'ASC' } }),
  });

  it('reads a message, its contact and its attempts exactly as the repository loads them', async () => {
    const expected = await loaded();
    const read = await inTx(ds, (tx) => rows.forDecision(tx, ids.message));
    expect(read).toEqual({ ...expected, senderApproved: true }); // no sender: nothing to approve
    expect(read!.message).toBeInstanceOf(MessageEntity);
    expect(read!.message.createdAt).toBeInstanceOf(Date);
    expect(read!.message.sendAt!.toISOString()).toBe('2026-03-04T05:06:07.891Z');
    expect(read!.contact.phoneEnc).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(read!.contact.optOuts).toEqual(['sms', 'line']);
    expect(read!.attempts.map((a) => [a.seq, a.permanent, a.retries])).toEqual([[1, null, 2], [2, false, 0]]);
  });

  it('peeks several messages in one read, each with its own attempts in order, none for a message that has none', async () => {
    const expected = await loaded();
    const peeked = await rows.peekMany([ids.bare, ids.message]);
    expect([...peeked.keys()].sort()).toEqual([ids.bare, ids.message].sort());
    expect(peeked.get(ids.message)).toEqual({ ...expected, senderApproved: true });
    const bare = peeked.get(ids.bare)!;
    expect(bare.attempts).toEqual([]);
    expect(bare.message).toEqual(await ds.getRepository(MessageEntity).findOneByOrFail({ id: ids.bare }));
    expect(bare.message.text).toBeNull();
  });

  it('reads an attempt pair, and the pair a report names by provider id, as the repository does', async () => {
    const expected = await loaded();
    const pair = await inTx(ds, (tx) => rows.pair(tx, ids.a1));
    expect(pair).toEqual({ message: expected.message, contact: expected.contact, attempt: expected.attempts[0], hasLaterAttempt: true, partIndex: null });
    const report = await inTx(ds, (tx) => rows.pairForReport(tx, { channel: 'sms', attemptId: null, providerMessageId: 'smsc-9' }));
    expect(report).toMatchObject({ attempt: expected.attempts[1], hasLaterAttempt: false, partIndex: null });
    // With every attempt of the message, for the decision that follows; the locked one is that same object.
    expect(report!.attempts).toEqual(expected.attempts);
    expect(report!.attempts[1]).toBe(report!.attempt);
    const first = await inTx(ds, (tx) => rows.pairForReport(tx, { channel: 'sms', attemptId: ids.a1, providerMessageId: null }));
    expect(first).toMatchObject({ attempt: expected.attempts[0], hasLaterAttempt: true });
    expect(first!.attempts[0]).toBe(first!.attempt);
  });

  it("asks the accept's sender rule again in the same read: approved, for the message's SMS route", async () => {
    const sender = '00051234';
    await ds.query(`UPDATE messages SET sender = $2 WHERE id = $1`, [ids.message, sender]);
    const approved = async () => {
      const decision = await inTx(ds, (tx) => rows.forDecision(tx, ids.message));
      const peeked = (await rows.peekMany([ids.message])).get(ids.message);
      const report = await inTx(ds, (tx) => rows.pairForReport(tx, { channel: 'sms', attemptId: null, providerMessageId: 'smsc-9' }));
      return [decision!.senderApproved, peeked!.senderApproved, report!.senderApproved];
    };
    try {
      expect(await approved()).toEqual([false, false, false]); // not registered
      await ds.query(`INSERT INTO senders (id, tenant_id, address, kind, ton, npi, routes, state, updated_by) VALUES (gen_random_uuid(), $1, $2, 'short_code', 3, 0, '{docomo}', 'approved', 'test')`, [ids.tenant, sender]);
      expect(await approved()).toEqual([true, true, true]);
      await ds.query(`UPDATE senders SET routes = '{international}' WHERE address = $1`, [sender]);
      expect(await approved()).toEqual([false, false, false]); // approved, but not for the message's route
      await ds.query(`UPDATE senders SET routes = '{}', state = 'suspended' WHERE address = $1`, [sender]);
      expect(await approved()).toEqual([false, false, false]);
    } finally {
      await ds.query(`DELETE FROM senders WHERE address = $1`, [sender]);
      await ds.query(`UPDATE messages SET sender = NULL WHERE id = $1`, [ids.message]);
    }
  });

  /**
   * The hot paths run their reads as prepared statements: after a few runs PostgreSQL settles on a
   * generic plan per connection when its estimate (from what the tables looked like then) is no
   * worse, and keeps it as the tables grow — as the pipeline bench's plans showed. The generic plan
   * is forced here so the test does not hang on that estimate. These reads must cost the same however many messages, contacts and attempts there are:
   * counted in buffers touched (a measure that does not depend on the machine's speed), planned
   * on a young database and run again after thousands of rows were written.
   */
  it('reads by index alone with plans made on young tables: a few pages, not whole tables, after they grow', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query('SET plan_cache_mode = force_generic_plan');
    const probes = {
      report: new PlanProbe(pg, 'report'),
      peek: new PlanProbe(pg, 'peek'),
      decision: new PlanProbe(pg, 'decision'),
    };
    // One after another: the probes share one client, which runs one query at a time.
    const readAll = async () => {
      await rows.pairForReport(probes.report, { channel: 'sms', attemptId: null, providerMessageId: 'smsc-9' }, { lock: false });
      await rows.peekMany([ids.message, ids.bare], probes.peek);
      await rows.forDecision(probes.decision, ids.message, { lock: false });
    };
    try {
      await readAll(); // planned while the tables hold a handful of rows
      await ds.query(
        `WITH c AS (
           INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx)
           SELECT gen_random_uuid(), $1, '\\x00'::bytea, 'bulk-' || g FROM generate_series(1, 3000) g
           RETURNING id
         ), m AS (
           INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category)
           SELECT gen_random_uuid(), $1, c.id, $2, 'outbound', 'dispatching', 'transactional' FROM c
           RETURNING id
         )
         INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, provider_message_id, timeout_seconds)
         SELECT gen_random_uuid(), $1, m.id, 1, 'sms', 'sent', 'bulk-' || m.id, 600 FROM m`,
        [ids.tenant, ids.conversation],
      );
      await readAll(); // the same plans, now under EXPLAIN
    } finally {
      await pg.end();
    }
    expect(probes.report.buffers()).toBeLessThan(60);
    expect(probes.peek.buffers()).toBeLessThan(60);
    expect(probes.decision.buffers()).toBeLessThan(60);
  });
});

/**
 * A reader that prepares the one statement it is given (generic plan forced on its connection)
 * and runs it; every later call runs that same plan under EXPLAIN and keeps the buffers it touched.
 */
class PlanProbe {
  private prepared = false;
  private touched: number | null = null;

  constructor(
    private readonly pg: Client,
    private readonly name: string,
  ) {}

  readonly query = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => {
    const execute = `EXECUTE ${this.name}(${params.map(literal).join(', ')})`;
    if (!this.prepared) {
      await this.pg.query(`PREPARE ${this.name} AS ${sql}; ${execute}`);
      this.prepared = true;
    } else {
      const plan = (await this.pg.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${execute}`)).rows[0]['QUERY PLAN'][0].Plan;
      this.touched = plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
    }
    return [];
  };

  buffers(): number | null {
    return this.touched;
  }
}

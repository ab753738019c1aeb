/** Anything that runs a parameterised query: a TypeORM DataSource, a pg Client. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface TrafficOptions {
  tenantId: string;
  /** Other people, each with their own conversation. */
  contacts: number;
  messagesPerContact: number;
  /** The newest message's time; older ones go back from it, `spacingSeconds` apart per contact. */
  at: Date;
  spacingSeconds: number;
  /** Inbound SMS replies ('はい' to 00051234), or outbound messages with one SMS attempt each. */
  direction: 'inbound' | 'outbound';
}

/**
 * Other people's traffic, as a production table looks (many contacts, a few messages each,
 * spread over time), for tests that check a read stays on its index as the tables grow.
 */
export async function seedTraffic(db: Queryable, o: TrafficOptions): Promise<void> {
  await db.query(
    `WITH c AS (
       INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx)
       SELECT gen_random_uuid(), $1, '\\x00'::bytea, 'traffic-' || gen_random_uuid() FROM generate_series(1, $2::int)
       RETURNING id
     ), v AS (
       INSERT INTO conversations (id, tenant_id, contact_id) SELECT gen_random_uuid(), $1, id FROM c RETURNING id, contact_id
     ), m AS (
       INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, channel, status, text, metadata, category, created_at)
       SELECT gen_random_uuid(), $1, v.contact_id, v.id, $6, 'sms', CASE WHEN $6 = 'inbound' THEN 'received' ELSE 'delivered' END,
              'はい', '{"recipient": "00051234"}', CASE WHEN $6 = 'outbound' THEN 'transactional' END,
              $4::timestamptz - ((k * $3::int + n) * $5::float8 || ' seconds')::interval
       FROM (SELECT v.*, row_number() OVER () - 1 AS k FROM v) v CROSS JOIN generate_series(0, $3::int - 1) n
       ORDER BY 11
       RETURNING id, created_at
     )
     INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, provider_message_id, timeout_seconds, created_at)
     SELECT gen_random_uuid(), $1, m.id, 1, 'sms', 'delivered', 'traffic-' || m.id, 600, m.created_at FROM m WHERE $6 = 'outbound'
     ORDER BY m.created_at`,
    [o.tenantId, o.contacts, o.messagesPerContact, o.at, o.spacingSeconds, o.direction],
  );
}

/** How many of `seedAttemptHistory`'s attempts fall in the last 24 hours (one every 5 minutes). */
export const ATTEMPTS_IN_LAST_DAY = 288;

/**
 * ~70 days of one tenant's delivered SMS, one attempt every 5 minutes back from now (20,000),
 * vacuumed and analysed as a settled table is; answers the attempts table's pages.
 */
export async function seedAttemptHistory(db: Queryable, tenantId: string): Promise<number> {
  await seedTraffic(db, { tenantId, contacts: 10_000, messagesPerContact: 2, at: new Date(), spacingSeconds: 300, direction: 'outbound' });
  await db.query(`VACUUM ANALYZE attempts`);
  const [{ relpages }] = (await db.query(`SELECT relpages FROM pg_class WHERE relname = 'attempts'`)) as [{ relpages: number }];
  return Number(relpages);
}

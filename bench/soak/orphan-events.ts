import type { Client } from 'pg';

/**
 * Events that name a tenant, message or attempt that does not exist, or an attempt of another
 * message. The event log keeps no foreign keys (migration 1766000000000: they were ~15% of
 * PostgreSQL's CPU per SMS), so the soak checks after every run what they would have checked, and
 * a little more.
 */
export async function countOrphanEvents(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events e
     WHERE (e.tenant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = e.tenant_id))
        OR (e.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = e.message_id))
        OR (e.attempt_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.id = e.attempt_id AND a.message_id = e.message_id))`,
  );
  return rows[0].n;
}

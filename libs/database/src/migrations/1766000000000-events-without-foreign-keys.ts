import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log keeps no foreign keys (to tenants, messages, attempts).
 *
 * Why: `events` is the busiest table, eight rows per delivered SMS, and each row's three foreign
 * keys cost PostgreSQL a trigger, a lookup and a row lock on the parent at every insert: 21 of the
 * ~31 foreign-key checks per SMS, and every one on the tenant takes a share lock on the same
 * tenant row that every concurrent transaction also locks. Alternated run for run in the pipeline
 * bench (six pairs), dropping them cut PostgreSQL's CPU per delivered SMS by 0.2–0.5 ms (~15%),
 * every pair. Dropping the other tables' tenant keys as well gained nothing more, so they stay.
 *
 * What keeps the log sound without them: an event is written only by the engine, in the same
 * transaction (most often the same statement) that inserts or locks the message and attempt it
 * names, and no message, attempt or tenant is ever deleted. The chaos soak checks it after every
 * run, killed processes and restarts included: no event may name a tenant, message or attempt
 * that does not exist, or an attempt of another message (`orphan_events`, which fails the run).
 */
export class EventsWithoutForeignKeys1766000000000 implements MigrationInterface {
  name = 'EventsWithoutForeignKeys1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events DROP CONSTRAINT IF EXISTS events_tenant_id_fkey;
      ALTER TABLE events DROP CONSTRAINT IF EXISTS events_message_id_fkey;
      ALTER TABLE events DROP CONSTRAINT IF EXISTS events_attempt_id_fkey;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events ADD CONSTRAINT events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id);
      ALTER TABLE events ADD CONSTRAINT events_message_id_fkey FOREIGN KEY (message_id) REFERENCES messages(id);
      ALTER TABLE events ADD CONSTRAINT events_attempt_id_fkey FOREIGN KEY (attempt_id) REFERENCES attempts(id);
    `);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reads over history that scanned whole tables as they grew:
 * - attempts of the last 24 hours (`/metrics` on every scrape, the console's delivery rates): a
 *   BRIN index on created_at. Attempts are written in time order, so block ranges summarise well,
 *   and a BRIN index costs the hot path almost nothing to keep, where a btree would add to every
 *   attempt's insert.
 * - a contact's own events (LINE link, follow, opt-out: rows with no message) in the console's
 *   timeline: by the contact id their detail carries, newest first. Partial, so no message's
 *   status event is written to it.
 */
export class HistoryIndexes1765000000000 implements MigrationInterface {
  name = 'HistoryIndexes1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX attempts_created ON attempts USING brin (created_at) WITH (pages_per_range = 32, autosummarize = on);
      CREATE INDEX events_contact ON events ((detail->>'contactId'), occurred_at DESC) WHERE message_id IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_contact; DROP INDEX IF EXISTS attempts_created;`);
  }
}

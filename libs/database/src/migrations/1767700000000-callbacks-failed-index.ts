import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tsunagu_callbacks_failed` counts failed callbacks of the last retry period and a day at every
 * scrape (15 s): through the BRIN index that is every callback of those two days, millions on a
 * busy install. A partial index holds only the failed ones, which are few; the hot path's
 * callbacks (pending, then delivered) never enter it.
 */
export class CallbacksFailedIndex1767700000000 implements MigrationInterface {
  name = 'CallbacksFailedIndex1767700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX callbacks_failed ON callbacks (created_at) WHERE status = 'failed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS callbacks_failed`);
  }
}

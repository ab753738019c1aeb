import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `POST /v1/callbacks/recover` pages through one tenant's failed and cancelled callbacks of a
 * period, oldest first, by (created_at, id). Without an index it read every tenant's callbacks of
 * up to 31 days through the BRIN index on each page. A partial index holds only those two states,
 * which are few: the hot path's callbacks (pending, then delivered) never enter it.
 */
export class CallbacksRecoverableIndex1767970000000 implements MigrationInterface {
  name = 'CallbacksRecoverableIndex1767970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX callbacks_recoverable ON callbacks (tenant_id, created_at, id) WHERE status IN ('failed', 'cancelled')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS callbacks_recoverable`);
  }
}

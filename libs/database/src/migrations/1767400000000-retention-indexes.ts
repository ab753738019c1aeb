import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For the retention sweep (`RetentionService`): block-range indexes on `created_at`, so a run
 * reads only the blocks of the days it looks at (a BRIN index costs the hot path's inserts next
 * to nothing, where a B-tree would cost each one an index entry), and `retention_marks`, how far
 * each table has been swept, so a run looks at the days since the last one (and a margin for
 * messages that were still in flight then), not at the whole history.
 */
export class RetentionIndexes1767400000000 implements MigrationInterface {
  name = 'RetentionIndexes1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX messages_created_brin ON messages USING brin (created_at);
      CREATE INDEX callbacks_created_brin ON callbacks USING brin (created_at);
      CREATE TABLE retention_marks (name text PRIMARY KEY, swept_before timestamptz NOT NULL);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS retention_marks; DROP INDEX IF EXISTS callbacks_created_brin; DROP INDEX IF EXISTS messages_created_brin;`);
  }
}

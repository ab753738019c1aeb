import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention sweep now clears `messages.crm_ref` with the metadata it was copied from (the
 * CRM's reference can be its customer number, and it kept the message findable by it). Messages
 * swept before kept theirs. Rather than one UPDATE over all of them here (millions of rows locked
 * in the deploy's transaction on a large install), the sweep's mark for messages is forgotten:
 * its next runs walk every day again in its usual batches (SKIP LOCKED, a bounded number per run),
 * and a swept message with a reference left matches it (`crm_ref IS NOT NULL`). Installs without
 * retention never swept, and erasure cleared both. Nothing to undo: the mark comes back by itself.
 */
export class RetentionClearsCrmRef1767960000000 implements MigrationInterface {
  name = 'RetentionClearsCrmRef1767960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM retention_marks WHERE name = 'messages'`);
  }

  async down(): Promise<void> {
    // The sweep sets its mark again on its next run.
  }
}

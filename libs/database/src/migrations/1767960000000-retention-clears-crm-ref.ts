import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention sweep now clears `messages.crm_ref` with the metadata it was copied from (the
 * CRM's reference can be its customer number, and it kept the message findable by it). Messages
 * swept before kept theirs: those are the ones with a reference and no metadata, since a reference
 * is only ever stored with the metadata that carries it and only the sweep (or an erasure, which
 * cleared both) takes metadata away. Nothing to undo: the references are gone.
 */
export class RetentionClearsCrmRef1767960000000 implements MigrationInterface {
  name = 'RetentionClearsCrmRef1767960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE messages SET crm_ref = NULL WHERE crm_ref IS NOT NULL AND metadata IS NULL`);
  }

  async down(): Promise<void> {
    // The references removed cannot be brought back, and the schema did not change.
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person's data erased on request (APPI): `erased_at` marks a contact whose number, LINE link
 * and message texts are gone. The row stays, so the ids in attempts, events, decisions and the
 * audit log still resolve, and it names nobody: its number is an empty ciphertext and its blind
 * index a value no number hashes to.
 */
export class ContactErasure1767200000000 implements MigrationInterface {
  name = 'ContactErasure1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN erased_at timestamptz;`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts DROP COLUMN IF EXISTS erased_at;`);
  }
}

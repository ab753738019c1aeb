import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff choose their own passwords. An account made with a generated password (by an admin in the
 * console, or `staff:create`) must change it at its first sign-in: whoever made the account saw
 * that password, and the audit log must name the person who acted, not whoever else knew it.
 */
export class StaffPasswordChange1767100000000 implements MigrationInterface {
  name = 'StaffPasswordChange1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE staff
        ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
        ADD COLUMN password_changed_at timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff DROP COLUMN IF EXISTS password_changed_at, DROP COLUMN IF EXISTS must_change_password;`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Callback secrets rotate without a gap: the secret replaced is kept (encrypted) until
 * `callback_secret_prev_until`, and until then every callback carries a signature by each, as
 * Standard Webhooks allows, so the CRM can switch its verification whenever it is ready.
 */
export class CallbackSecretRotation1767300000000 implements MigrationInterface {
  name = 'CallbackSecretRotation1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN callback_secret_prev_enc bytea, ADD COLUMN callback_secret_prev_until timestamptz;`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS callback_secret_prev_until, DROP COLUMN IF EXISTS callback_secret_prev_enc;`);
  }
}

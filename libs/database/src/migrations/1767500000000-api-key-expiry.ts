import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys may expire (a key issued for 90 days stops working then, whoever still holds it) and
 * may be bound to networks (`allowed_networks`: a key leaked outside them is refused).
 */
export class ApiKeyExpiry1767500000000 implements MigrationInterface {
  name = 'ApiKeyExpiry1767500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN expires_at timestamptz, ADD COLUMN allowed_networks text[] NOT NULL DEFAULT '{}';`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS allowed_networks, DROP COLUMN IF EXISTS expires_at;`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The support console: staff accounts per tenant and their sessions. A session row is keyed by the
 * SHA-256 of its cookie token, so a copy of the table signs nobody in.
 */
export class Console1764100000000 implements MigrationInterface {
  name = 'Console1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        email text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz,
        UNIQUE (tenant_id, email)
      );
      CREATE TABLE staff_sessions (
        id text PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES staff(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
      CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
      CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_log_actor; DROP TABLE staff_sessions, staff;`);
  }
}

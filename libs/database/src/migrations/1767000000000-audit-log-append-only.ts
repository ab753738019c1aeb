import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database itself, not only by the code's habit: an UPDATE,
 * DELETE or TRUNCATE of `audit_log` raises. The log is what a reviewer reads to see who looked at
 * whose number, so it must not be changed by the engine's own role — through a bug, a console
 * path or a compromised process. Nothing in the engine updates or deletes it; archiving old rows
 * is a DBA's job, with a role that may disable the trigger for that and leaves a trace doing so.
 */
export class AuditLogAppendOnly1767000000000 implements MigrationInterface {
  name = 'AuditLogAppendOnly1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
      DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
      DROP FUNCTION IF EXISTS audit_log_append_only();
    `);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pending callback goes to where the tenant says now, not where it said when the callback was
 * written (a CRM that moved its endpoint expects what is still pending to follow), so the URL of
 * each try is history worth keeping: one `callback_tries` row per POST, with the URL it went to
 * and what came back (no URL: the tenant had none then). `callbacks.url` is the URL of the latest try.
 *
 * A callback whose give-up time comes while its tenant has no callback URL ends `cancelled` (reason
 * in `last_error`): over, and said so, but not a failure of the CRM's endpoint, so not counted in
 * `tsunagu_callbacks_failed`. The status check gains that value. Added NOT VALID: every row
 * already passed the narrower check this replaces, so a scan of a table of millions under an
 * exclusive lock would prove nothing; new and updated rows are checked as before.
 */
export class CallbackTries1767910000000 implements MigrationInterface {
  name = 'CallbackTries1767910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE callback_tries (
        callback_id uuid NOT NULL REFERENCES callbacks(id),
        try integer NOT NULL,
        url text, -- null: the try found no callback URL (the tenant had cleared it)
        status integer,
        error text,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX callback_tries_callback ON callback_tries (callback_id, try);
      ALTER TABLE callbacks DROP CONSTRAINT callbacks_status_check;
      ALTER TABLE callbacks ADD CONSTRAINT callbacks_status_check CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')) NOT VALID;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE callbacks SET status = 'failed' WHERE status = 'cancelled';
      ALTER TABLE callbacks DROP CONSTRAINT callbacks_status_check;
      ALTER TABLE callbacks ADD CONSTRAINT callbacks_status_check CHECK (status IN ('pending', 'delivered', 'failed'));
      DROP TABLE IF EXISTS callback_tries;
    `);
  }
}

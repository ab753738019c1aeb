import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console sign-in failures are counted per account and client address, not per account alone:
 * anyone who knew an organisation's name and a staff email could otherwise keep that person
 * locked out for ever. Five failures from one address lock the account for that address only.
 *
 * `client_key` is an HMAC of the address (an IPv6 one cut to its /64) under a key derived from
 * TSUNAGU_DATA_KEY: an address is personal data, so the raw one is never stored. Its failures are
 * forgotten at `failures_until` (15 minutes after the last); an address the account signed in
 * from is known until `known_until` (30 days), and the lock for everyone does not hold it back, so
 * a guess spread over many addresses cannot keep the owner out either. A row is over at
 * `expires_at`, the later of the two, and is then pruned.
 *
 * The account's own `failed_logins` and `locked_until` now count failures from every address
 * together, in a window starting at `failed_logins_since`: many failures from many addresses
 * (a distributed guess) lock the account for everyone.
 */
export class StaffLoginFailures1767920000000 implements MigrationInterface {
  name = 'StaffLoginFailures1767920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff_login_failures (
        staff_id uuid NOT NULL REFERENCES staff(id),
        client_key text NOT NULL,
        failures integer NOT NULL,
        locked_until timestamptz,
        failures_until timestamptz NOT NULL, -- its failures are forgotten then
        known_until timestamptz, -- the account signed in from here: the lock for everyone spares it until then
        expires_at timestamptz NOT NULL, -- the later of the two: pruned after
        PRIMARY KEY (staff_id, client_key)
      );
      CREATE INDEX staff_login_failures_expires ON staff_login_failures (expires_at);
      ALTER TABLE staff ADD COLUMN failed_logins_since timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE staff DROP COLUMN IF EXISTS failed_logins_since;
      DROP TABLE IF EXISTS staff_login_failures;
    `);
  }
}

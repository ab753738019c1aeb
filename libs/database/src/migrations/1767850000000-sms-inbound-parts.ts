import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parts of long SMS replies waiting for their siblings. An SMSC offers the parts on any bind of
 * the account, to any worker, and a worker may restart between them: they wait here, not in a
 * process. One row per part, unique on what names it, so a redelivered part changes nothing.
 * `body` is the part's text as UTF-16 (a surrogate pair may straddle two parts), NULL for a
 * binary part. A joined reply keeps its rows (body wiped, hash kept) until `expires_at`, so a part the SMSC
 * offers again after the join is known as a repeat and not started as a new reply. The sender's
 * number is personal data: sealed (`source_enc`, AES-GCM) and found by a keyed digest
 * (`source_key`), never stored in the clear.
 */
export class SmsInboundParts1767850000000 implements MigrationInterface {
  name = 'SmsInboundParts1767850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sms_inbound_parts (
        id uuid PRIMARY KEY,
        account text NOT NULL,
        source_key text NOT NULL,
        source_enc bytea NOT NULL,
        source_ton smallint NOT NULL,
        destination_addr text NOT NULL,
        ref integer NOT NULL,
        total smallint NOT NULL,
        seq smallint NOT NULL,
        data_coding smallint NOT NULL,
        body bytea,
        body_sha text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        claimed_until timestamptz,
        done_at timestamptz,
        UNIQUE (account, source_key, destination_addr, ref, total, seq)
      );
      CREATE INDEX sms_inbound_parts_expiry ON sms_inbound_parts (expires_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS sms_inbound_parts`);
  }
}

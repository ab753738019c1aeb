import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sender address is approved for one organisation at a time. Each tenant registers its own
 * senders, so two could hold the same short code; had both been approved, either could send as
 * the other, and replies to the code (and the opt-outs in them) went to whichever changed its
 * row last. The index makes the second approval fail, whatever order the two race in.
 *
 * A database that already has an address approved twice is not guessed at: the migration stops
 * and names how many, so an operator suspends the one that does not hold it.
 */
export class SenderApprovedOnce1767600000000 implements MigrationInterface {
  name = 'SenderApprovedOnce1767600000000';

  async up(q: QueryRunner): Promise<void> {
    const [{ n }] = (await q.query(
      `SELECT count(*)::int AS n FROM (SELECT address FROM senders WHERE state = 'approved' GROUP BY address HAVING count(*) > 1) d`,
    )) as { n: number }[];
    if (n > 0) {
      throw new Error(
        `${n} sender address(es) are approved for more than one tenant. Suspend the copies that do not hold the address ` +
          `(SELECT address, tenant_id FROM senders WHERE state = 'approved' AND address IN (SELECT address FROM senders WHERE state = 'approved' GROUP BY address HAVING count(*) > 1)), then migrate again.`,
      );
    }
    await q.query(`CREATE UNIQUE INDEX senders_approved_once ON senders (address) WHERE state = 'approved'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS senders_approved_once`);
  }
}

import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { WorkTx } from './tx';
import { TxGroupRunner } from './tx-group';

/** A member as the engine writes one: lock a row, read it, write, with its own key. */
async function bump(tx: WorkTx, id: number, by = 1): Promise<{ n: number; xid: string }> {
  const [row] = await tx.query<{ n: number; xid: string }>(`SELECT n, txid_current()::text AS xid FROM grp_probe WHERE id = $1 FOR UPDATE`, [id]);
  tx.own?.(`grp_probe:${id}`);
  tx.write(`UPDATE grp_probe SET n = n + $2 WHERE id = $1`, [id, by], { rowKey: `grp_probe:${id}` });
  return row;
}

describe('TxGroupRunner on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let runner: TxGroupRunner;

  beforeAll(async () => {
    db = await createTestDatabase('txgroup');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`CREATE TABLE grp_probe (id int PRIMARY KEY, n int NOT NULL)`);
    await ds.query(`CREATE TABLE grp_log (id int PRIMARY KEY)`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    runner = new TxGroupRunner(ds, 16, 2);
    await ds.query(`TRUNCATE grp_probe, grp_log`);
    await ds.query(`INSERT INTO grp_probe SELECT g, 0 FROM generate_series(1, 20) g`);
  });
  const values = async () => (await ds.query(`SELECT id, n FROM grp_probe ORDER BY id`)) as { id: number; n: number }[];

  it('runs members that arrive together in one transaction, each reading its own rows, all committed together', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => runner.run((tx) => bump(tx, id, id * 10))));
    expect(new Set(results.map((r) => r.xid)).size).toBe(1);
    expect(results.map((r) => r.n)).toEqual([0, 0, 0, 0, 0]);
    expect((await values()).slice(0, 6).map((r) => r.n)).toEqual([10, 20, 30, 40, 50, 0]);
  });

  it('gives each member its reads in several rounds and its own after-commit rows', async () => {
    const member = (id: number) =>
      runner.run(
        async (tx) => {
          await bump(tx, id);
          const [again] = await tx.query<{ n: number }>(`SELECT n FROM grp_probe WHERE id = $1`, [id]);
          tx.write(`INSERT INTO grp_log (id) VALUES ($1)`, [id]);
          tx.afterCommit(`SELECT id FROM grp_log WHERE id = $1`, [id]);
          return [again.n];
        },
        (tx) => tx.afterCommitRows<{ id: number }>().map((r) => r.id),
      );
    expect(await Promise.all([member(7), member(8), member(9)])).toEqual([[7], [8], [9]]);
    expect((await values()).filter((r) => r.n > 0).map((r) => r.id)).toEqual([7, 8, 9]);
  });

  it('stops a second member that locks a row the group already holds, and runs it after the first committed', async () => {
    const [first, second] = await Promise.all([runner.run((tx) => bump(tx, 3, 5)), runner.run((tx) => bump(tx, 3, 7))]);
    expect(first.n).toBe(0);
    expect(second.n).toBe(5); // it read the first member's committed write, not the row as it was
    expect(second.xid).not.toBe(first.xid);
    expect((await values())[2].n).toBe(12);
  });

  it('lets a member that fails before sending a write fail alone', async () => {
    const outcomes = await Promise.allSettled([
      runner.run((tx) => bump(tx, 1)),
      runner.run(async (tx) => {
        await tx.query(`SELECT 1`);
        tx.write(`UPDATE grp_probe SET n = 100 WHERE id = 2`, []);
        throw new Error('throughput wait');
      }),
      runner.run((tx) => bump(tx, 3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('throughput wait');
    expect((await values()).slice(0, 3).map((r) => r.n)).toEqual([1, 0, 1]);
  });

  it('rolls the group back and runs every member alone when one fails after its writes went out', async () => {
    let calls = 0;
    const outcomes = await Promise.allSettled([
      runner.run((tx) => bump(tx, 1)),
      runner.run(async (tx) => {
        calls++;
        tx.write(`UPDATE grp_probe SET n = n + 100 WHERE id = 2`, []);
        await tx.query(`SELECT 1`); // the write above went out with this read
        throw new Error('too late to fail alone');
      }),
      runner.run((tx) => bump(tx, 3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toBe(2); // once in the group, once alone
    expect((await values()).slice(0, 3).map((r) => r.n)).toEqual([1, 0, 1]);
  });

  it('runs every member alone when PostgreSQL refuses one member’s statement, and only that one fails', async () => {
    await ds.query(`INSERT INTO grp_log (id) VALUES (42)`);
    const outcomes = await Promise.allSettled([
      runner.run((tx) => bump(tx, 1)),
      runner.run(async (tx) => {
        await tx.query(`INSERT INTO grp_log (id) VALUES (42) RETURNING id`);
      }),
      runner.run((tx) => bump(tx, 3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.code).toBe('23505');
    expect((await values()).slice(0, 3).map((r) => r.n)).toEqual([1, 0, 1]);
  });

  it('runs every member alone when a write PostgreSQL refuses only shows at the commit', async () => {
    await ds.query(`INSERT INTO grp_log (id) VALUES (43)`);
    const outcomes = await Promise.allSettled([
      // Writes only: the group's one round trip is its commit.
      runner.run(async (tx) => tx.write(`UPDATE grp_probe SET n = n + 1 WHERE id = $1`, [4])),
      runner.run(async (tx) => tx.write(`INSERT INTO grp_log (id) VALUES ($1)`, [43])),
      runner.run(async (tx) => tx.write(`UPDATE grp_probe SET n = n + 1 WHERE id = $1`, [5])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await values()).slice(3, 5).map((r) => r.n)).toEqual([1, 1]);
    // No pooled connection was handed back inside the failed transaction.
    for (let i = 0; i < 25; i++) await runner.run((tx) => bump(tx, 6));
    expect((await values())[5].n).toBe(25);
  });

  it('keeps the members of many concurrent groups apart: every increment lands exactly once', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => (i % 20) + 1);
    await Promise.all(ids.map((id) => runner.run((tx) => bump(tx, id))));
    expect((await values()).map((r) => r.n)).toEqual(Array(20).fill(20));
  });

  it('with size 1, runs each call in its own transaction', async () => {
    const alone = new TxGroupRunner(ds, 1, 2);
    const results = await Promise.all([1, 2].map((id) => alone.run((tx) => bump(tx, id))));
    expect(results[0].xid).not.toBe(results[1].xid);
  });
});

import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { inTx, runScript } from './tx';

describe('inTx on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('tx');
    ds = await createDataSource(db.url).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('reads its own deferred writes and commits them with the COMMIT', async () => {
    await ds.query(`CREATE TABLE tx_probe (id int PRIMARY KEY, n int NOT NULL)`);
    const seen = await inTx(ds, async (tx) => {
      tx.write(`INSERT INTO tx_probe (id, n) VALUES ($1, $2)`, [1, 10]);
      tx.write(`UPDATE tx_probe SET n = n + 1 WHERE id = $1`, [1], { rowKey: 'tx_probe:1' });
      const rows = await tx.query<{ n: number }>(`SELECT n FROM tx_probe WHERE id = 1`);
      tx.write(`UPDATE tx_probe SET n = n * 2 WHERE id = $1`, [1], { rowKey: 'tx_probe:1' });
      return rows[0].n;
    });
    expect(seen).toBe(11);
    expect(await ds.query(`SELECT n FROM tx_probe WHERE id = 1`)).toEqual([{ n: 22 }]);
  });

  it('rolls everything back when the work throws', async () => {
    await expect(
      inTx(ds, async (tx) => {
        tx.write(`INSERT INTO tx_probe (id, n) VALUES ($1, $2)`, [2, 1]);
        await tx.query(`SELECT 1`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ds.query(`SELECT count(*)::int AS n FROM tx_probe WHERE id = 2`)).toEqual([{ n: 0 }]);
  });

  it('survives its connection dying while idle inside a transaction (PostgreSQL restarting during a Redis call)', async () => {
    // Without an error listener on the checked-out client, pg emits an unhandled 'error' here and
    // the process dies: a worker crashed this way in the chaos soak.
    const failure = inTx(ds, async (tx) => {
      const [{ pid }] = await tx.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      await ds.query(`SELECT pg_terminate_backend($1)`, [pid]);
      await new Promise((r) => setTimeout(r, 300)); // the "Redis call": no query in flight when the socket closes
      await tx.query(`SELECT 1`);
    });
    await expect(failure).rejects.toThrow();
    // The dead connection was discarded: the pool still serves transactions.
    await expect(inTx(ds, async (tx) => (await tx.query<{ one: number }>(`SELECT 1 AS one`))[0].one)).resolves.toBe(1);
    await expect(runScript<{ two: number }>(ds, ['BEGIN', 'SELECT 2 AS two', 'COMMIT'], 1)).resolves.toEqual([{ two: 2 }]);
  });

  it('wakes listeners only once the writes are committed, and not at all after a rollback', async () => {
    const listener = (ds.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    const client = await listener.connect();
    const heard: string[] = [];
    client.on('notification', (n: { channel: string }) => heard.push(n.channel));
    await client.query('LISTEN tsunagu_due');
    try {
      await inTx(ds, async (tx) => {
        tx.write(`INSERT INTO tx_probe (id, n) VALUES ($1, $2)`, [3, 1], { notify: 'tsunagu_due' });
        await tx.query(`SELECT 1`);
        await new Promise((r) => setTimeout(r, 100));
        expect(heard).toEqual([]); // written, not committed: nobody woken yet
      });
      await expect(
        inTx(ds, async (tx) => {
          tx.write(`INSERT INTO tx_probe (id, n) VALUES ($1, $2)`, [4, 1], { notify: 'tsunagu_due' });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toEqual(['tsunagu_due']);
      expect(await ds.query(`SELECT id FROM tx_probe WHERE id IN (3, 4) ORDER BY id`)).toEqual([{ id: 3 }]);
    } finally {
      client.release();
    }
  });
});

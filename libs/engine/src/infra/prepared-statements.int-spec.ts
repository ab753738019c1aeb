import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { PreparedStatements } from './prepared-statements';
import { inTx, queryOnce } from './tx';

/** How many statements containing `fragment` PostgreSQL holds prepared on the (one) connection. */
async function preparedWith(ds: DataSource, fragment: string): Promise<number> {
  const [{ n }] = await queryOnce<{ n: number }>(ds, `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'tsunagu_%' AND strpos(statement, $1) > 0`, [fragment]);
  return n;
}

describe('PreparedStatements on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('prepared');
    // One connection, so every call below meets the plans the ones before it left.
    ds = await createDataSource(db.url, { poolSize: 1 }).initialize();
    await ds.query(`CREATE TABLE prep_probe (id uuid PRIMARY KEY, n int NOT NULL, at timestamptz, tags text[], body jsonb)`);
  });
  afterAll(async () => {
    PreparedStatements.configure({ enabled: true });
    await ds?.destroy();
    await db?.drop();
  });

  it('prepares a template the second time it is used and runs it with the same values and results', async () => {
    const insert = `INSERT INTO prep_probe (id, n, at, tags, body) VALUES ($1, $2, $3, $4, $5) RETURNING n, at, tags, body`;
    const values = (id: string, n: number) => [id, n, new Date('2026-11-25T01:02:03.456Z'), ['a', "it's", 'c"d'], JSON.stringify({ k: 'ü\\' })];
    const first = await queryOnce(ds, insert, values('00000000-0000-4000-8000-000000000001', 1));
    expect(await preparedWith(ds, 'INSERT INTO prep_probe')).toBe(0);
    const second = await queryOnce(ds, insert, values('00000000-0000-4000-8000-000000000002', 2));
    expect(await preparedWith(ds, 'INSERT INTO prep_probe')).toBe(1);
    expect(second).toEqual([{ ...(first[0] as object), n: 2 }]);
    expect(second[0]).toEqual({ n: 2, at: new Date('2026-11-25T01:02:03.456Z'), tags: ['a', "it's", 'c"d'], body: { k: 'ü\\' } });
  });

  it('keeps a transaction alive when PostgreSQL cannot prepare a template, and sends it inlined', async () => {
    // `$1 IS NULL` gives PostgreSQL no type for $1: PREPARE fails, the literal works.
    const untyped = `SELECT $1 IS NULL AS missing`;
    const answers = await inTx(ds, async (tx) => {
      const out: unknown[] = [];
      for (let i = 0; i < 3; i++) out.push(...(await tx.query(untyped, [i === 1 ? null : 'x'])));
      tx.write(`UPDATE prep_probe SET n = n + 10 WHERE id = $1`, ['00000000-0000-4000-8000-000000000001']);
      return out;
    });
    expect(answers).toEqual([{ missing: false }, { missing: true }, { missing: false }]);
    expect(await queryOnce(ds, `SELECT n FROM prep_probe WHERE id = $1`, ['00000000-0000-4000-8000-000000000001'])).toEqual([{ n: 11 }]);
  });

  it('runs composed writes prepared inside transactions, committing each', async () => {
    for (let i = 3; i < 6; i++) {
      await inTx(ds, async (tx) => {
        // Updates of different rows, each saying which: one chain of CTEs.
        tx.write(`UPDATE prep_probe SET n = n + $2 WHERE id = $1`, ['00000000-0000-4000-8000-000000000002', 100], { rowKey: 'p:2' });
        tx.write(`UPDATE prep_probe SET n = n + $2 WHERE id = $1`, ['00000000-0000-4000-8000-000000000001', 1], { rowKey: 'p:1' });
        tx.write(`INSERT INTO prep_probe (id, n) VALUES ($1, $2)`, [`00000000-0000-4000-8000-00000000000${i}`, i]);
        await tx.query(`SELECT n FROM prep_probe WHERE id = $1 FOR UPDATE`, ['00000000-0000-4000-8000-000000000002']);
      });
    }
    expect(await queryOnce(ds, `SELECT count(*)::int AS n, max(n) AS top, min(n) AS low FROM prep_probe`)).toEqual([{ n: 5, top: 302, low: 3 }]);
    expect(await preparedWith(ds, 'WITH w0 AS (UPDATE prep_probe')).toBe(1);
    expect(await preparedWith(ds, 'FOR UPDATE')).toBe(1);
    expect(await preparedWith(ds, 'IS NULL')).toBe(0);
  });

  it('prepares nothing when turned off (a transaction-mode pooler)', async () => {
    PreparedStatements.configure({ enabled: false });
    for (let i = 0; i < 3; i++) await queryOnce(ds, `SELECT n FROM prep_probe WHERE n > $1 ORDER BY n`, [i]);
    PreparedStatements.configure({ enabled: true });
    expect(await preparedWith(ds, 'WHERE n > ')).toBe(0);
  });

  it('prepares again after the session lost its statements (DISCARD ALL), failing only the call that found out', async () => {
    const read = `SELECT n FROM prep_probe WHERE id = $1`;
    const id = '00000000-0000-4000-8000-000000000003';
    for (let i = 0; i < 2; i++) await inTx(ds, (tx) => tx.query(read, [id])); // prepared by now
    await ds.query('DISCARD ALL');
    await expect(inTx(ds, (tx) => tx.query(read, [id]))).rejects.toMatchObject({ code: '26000' });
    await expect(inTx(ds, (tx) => tx.query(read, [id]))).resolves.toEqual([{ n: 3 }]);
    await expect(inTx(ds, (tx) => tx.query(read, [id]))).resolves.toEqual([{ n: 3 }]);
  });

  it('does not give up on a template whose PREPARE failed only because the connection was lost', async () => {
    const read = `SELECT count(*)::int AS n FROM prep_probe WHERE n >= $1`;
    await queryOnce(ds, read, [0]); // first use: inlined
    // The pool's one connection dies after it is checked out and before the transaction's first
    // statement, so the PREPARE that goes ahead of it meets a dead socket.
    const [{ pid }] = await queryOnce<{ pid: number }>(ds, `SELECT pg_backend_pid() AS pid`);
    const lost = inTx(ds, async (tx) => {
      const killer = new Client({ connectionString: db.url });
      await killer.connect();
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      await killer.end();
      await new Promise((r) => setTimeout(r, 100));
      await tx.query(read, [0]);
    });
    await expect(lost).rejects.toThrow();
    await expect(queryOnce(ds, read, [0])).resolves.toEqual([{ n: 5 }]); // a new connection prepares it
    expect(await preparedWith(ds, 'WHERE n >= ')).toBe(1);
  });
});

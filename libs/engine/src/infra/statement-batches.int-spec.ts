import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { StatementBatcher } from './statement-batches';
import { NOTIFY } from './write-batch';

/** One accept-shaped statement: writes a row and answers with it and its transaction. */
const put = (id: number, label: string) => ({
  sql: `INSERT INTO batch_probe (id, label) VALUES ($1, $2) RETURNING id, label, txid_current()::text AS xid`,
  params: [id, label],
});

describe('StatementBatcher on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('stmtbatch');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`CREATE TABLE batch_probe (id int PRIMARY KEY, label text NOT NULL, seq bigserial)`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(() => ds.query(`TRUNCATE batch_probe`));
  const stored = async () => (await ds.query(`SELECT id, label FROM batch_probe ORDER BY seq`)) as { id: number; label: string }[];

  it('commits statements that arrive together in one transaction, in the callers’ order, each answered with its own rows', async () => {
    const batcher = new StatementBatcher(ds, 16, 1);
    // The first starts alone (nothing came with it); the five that arrive while it runs make one batch.
    const first = batcher.run<{ xid: string }>(put(100, 'first'), { order: 'z' });
    await new Promise((r) => setImmediate(r));
    const keys = ['e', 'b', 'd', 'a', 'c'];
    const rest = keys.map((k, i) => batcher.run<{ id: number; label: string; xid: string }>(put(i + 1, k), { order: k }));
    const [alone, ...together] = await Promise.all([first, ...rest]);
    expect(together.map((rows) => rows[0].label)).toEqual(keys);
    expect(new Set(together.map((rows) => rows[0].xid)).size).toBe(1);
    expect(together[0][0].xid).not.toBe(alone[0].xid);
    // Within the batch, rows were written in `order`: the lock order across batches.
    expect((await stored()).map((r) => r.label)).toEqual(['first', 'a', 'b', 'c', 'd', 'e']);
  });

  it('fails only the statement at fault: the batch rolls back and the others commit on their own', async () => {
    const batcher = new StatementBatcher(ds, 16, 1);
    await ds.query(`INSERT INTO batch_probe (id, label) VALUES (7, 'already')`);
    const blocker = batcher.run(put(50, 'blocker'), { order: 'a' });
    const runs = [put(1, 'one'), put(7, 'duplicate'), put(2, 'two')].map((s, i) => batcher.run(s, { order: `b${i}` }).then(
      (rows) => ({ ok: true as const, rows }),
      (err: { code?: string }) => ({ ok: false as const, code: err.code }),
    ));
    await blocker;
    const outcomes = await Promise.all(runs);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toEqual({ ok: false, code: '23505' });
    expect((await stored()).map((r) => r.id).sort((a, b) => a - b)).toEqual([1, 2, 7, 50]);
  });

  it('reruns a failed batch one statement at a time, never more connections than the batch held', async () => {
    const batcher = new StatementBatcher(ds, 16, 1);
    await ds.query(`INSERT INTO batch_probe (id, label) VALUES (7, 'already')`);
    // Each takes 60 ms and says when it finished: run in turn, the finishes are 60 ms apart.
    const slow = (id: number, label: string) => ({
      sql: `INSERT INTO batch_probe (id, label) SELECT $1, $2 FROM pg_sleep(0.06) RETURNING id, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS done_ms`,
      params: [id, label],
    });
    const blocker = batcher.run(put(50, 'blocker'), { order: 'a' });
    const runs = [slow(1, 'one'), slow(7, 'duplicate'), slow(2, 'two'), slow(3, 'three')].map((s, i) =>
      batcher.run<{ done_ms: number }>(s, { order: `b${i}` }).then((rows) => rows[0].done_ms, () => null),
    );
    await blocker;
    const done = (await Promise.all(runs)).filter((t): t is number => t !== null).sort((a, b) => a - b);
    expect(done).toHaveLength(3);
    for (let i = 1; i < done.length; i++) expect(done[i] - done[i - 1]).toBeGreaterThanOrEqual(55);
  });

  it('wakes listeners once the batch has committed', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      const woken: string[] = [];
      let seenAtWake = -1;
      listener.on('notification', (n) => {
        woken.push(n.channel);
        void ds.query(`SELECT count(*)::int AS n FROM batch_probe`).then((rows: { n: number }[]) => (seenAtWake = rows[0].n));
      });
      await listener.query(`LISTEN ${NOTIFY.due}`);
      const batcher = new StatementBatcher(ds, 16, 1);
      await Promise.all([put(1, 'a'), put(2, 'b'), put(3, 'c')].map((s, i) => batcher.run(s, { order: String(i), notify: [NOTIFY.due] })));
      const deadline = Date.now() + 2000;
      while (seenAtWake < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(woken.length).toBeGreaterThanOrEqual(1);
      expect(woken.every((c) => c === NOTIFY.due)).toBe(true);
      expect(seenAtWake).toBeGreaterThanOrEqual(1);
    } finally {
      await listener.end();
    }
  });

  it('with a batch size of 1 runs every statement in a transaction of its own', async () => {
    const batcher = new StatementBatcher(ds, 1, 4);
    const results = await Promise.all([1, 2, 3].map((id) => batcher.run<{ xid: string }>(put(id, `n${id}`), { order: String(id) })));
    expect(new Set(results.map((rows) => rows[0].xid)).size).toBe(3);
    expect((await stored()).length).toBe(3);
  });
});

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, seedTraffic, TestDatabase } from '@tsunagu/testing';
import { ATTEMPTS_LAST_24H } from './metrics.controller';

/**
 * `/metrics` counts the last day's attempts on every scrape: it must read the last day's block
 * ranges (the `attempts_created` BRIN index), not every attempt ever made. Counted in buffers
 * touched (a measure that does not depend on the machine's speed), beside ~70 days of history.
 */
describe('attempts of the last 24 hours on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const tenant = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('metrics24h');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'metrics')`, [tenant]);
    // 20,000 attempts, one every 5 minutes back from now: 288 of them in the last 24 hours.
    await seedTraffic(ds, { tenantId: tenant, contacts: 10_000, messagesPerContact: 2, at: new Date(), spacingSeconds: 300, direction: 'outbound' });
    await ds.query(`VACUUM ANALYZE attempts`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('counts them by channel and status', async () => {
    const rows: { channel: string; status: string; n: string }[] = await ds.query(ATTEMPTS_LAST_24H);
    expect(rows).toEqual([{ channel: 'sms', status: 'delivered', n: expect.any(String) }]);
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(287);
    expect(Number(rows[0].n)).toBeLessThanOrEqual(289);
  });

  it("reads the last day's block ranges, not the whole table", async () => {
    const [{ 'QUERY PLAN': plan }] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${ATTEMPTS_LAST_24H}`);
    const pages = Number((await ds.query(`SELECT relpages FROM pg_class WHERE relname = 'attempts'`))[0].relpages);
    expect(pages).toBeGreaterThan(200);
    expect(plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks']).toBeLessThan(pages / 4);
  });
});

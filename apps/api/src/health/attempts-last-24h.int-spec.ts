import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { ATTEMPTS_IN_LAST_DAY, buffersTouched, createTestDatabase, seedAttemptHistory, TestDatabase } from '@tsunagu/testing';
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
  let pages: number;

  beforeAll(async () => {
    db = await createTestDatabase('metrics24h');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'metrics')`, [tenant]);
    pages = await seedAttemptHistory(ds, tenant);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('counts them by channel and status', async () => {
    const rows: { channel: string; status: string; n: string }[] = await ds.query(ATTEMPTS_LAST_24H);
    expect(rows).toEqual([{ channel: 'sms', status: 'delivered', n: expect.any(String) }]);
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(ATTEMPTS_IN_LAST_DAY - 1);
    expect(Number(rows[0].n)).toBeLessThanOrEqual(ATTEMPTS_IN_LAST_DAY + 1);
  });

  it("reads the last day's block ranges, not the whole table", async () => {
    expect(pages).toBeGreaterThan(200);
    expect(await buffersTouched(ds, ATTEMPTS_LAST_24H)).toBeLessThan(pages / 4);
  });
});

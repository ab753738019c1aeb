import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, seedTraffic, TestDatabase } from '@tsunagu/testing';
import { DELIVERY_RATES } from './ops.service';

/**
 * The ops page's delivery rates count one tenant's attempts of the last day: they must read the
 * last day's block ranges (the `attempts_created` BRIN index), not every attempt ever made.
 * Counted in buffers touched (a measure that does not depend on the machine's speed), beside
 * ~70 days of this tenant's history and another tenant's recent traffic.
 */
describe('delivery rates of the last 24 hours on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const tenant = randomUUID();
  const other = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('rates24h');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'rates'), ($2, 'other')`, [tenant, other]);
    // 20,000 delivered attempts, one every 5 minutes back from now: 288 of them in the last 24 hours.
    await seedTraffic(ds, { tenantId: tenant, contacts: 10_000, messagesPerContact: 2, at: new Date(), spacingSeconds: 300, direction: 'outbound' });
    await seedTraffic(ds, { tenantId: other, contacts: 50, messagesPerContact: 1, at: new Date(), spacingSeconds: 60, direction: 'outbound' });
    await ds.query(`VACUUM ANALYZE attempts`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it("counts this tenant's attempts per channel, and no other tenant's", async () => {
    const [row, ...more] = (await ds.query(DELIVERY_RATES, [tenant])) as { channel: string; total: string; delivered: string; failed: string }[];
    expect(more).toEqual([]);
    expect(row.channel).toBe('sms');
    expect(Number(row.total)).toBeGreaterThanOrEqual(287);
    expect(Number(row.total)).toBeLessThanOrEqual(289);
    expect([Number(row.delivered), Number(row.failed)]).toEqual([Number(row.total), 0]);
  });

  it("reads the last day's block ranges, not the whole table", async () => {
    const [{ 'QUERY PLAN': plan }] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${DELIVERY_RATES}`, [tenant]);
    const pages = Number((await ds.query(`SELECT relpages FROM pg_class WHERE relname = 'attempts'`))[0].relpages);
    expect(pages).toBeGreaterThan(200);
    expect(plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks']).toBeLessThan(pages / 4);
  });
});

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { ATTEMPTS_IN_LAST_DAY, buffersTouched, createTestDatabase, seedAttemptHistory, seedTraffic, TestDatabase } from '@tsunagu/testing';
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
  let pages: number;

  beforeAll(async () => {
    db = await createTestDatabase('rates24h');
    ds = await createDataSource(db.url).initialize();
    await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, 'rates'), ($2, 'other')`, [tenant, other]);
    await seedTraffic(ds, { tenantId: other, contacts: 50, messagesPerContact: 1, at: new Date(), spacingSeconds: 60, direction: 'outbound' });
    pages = await seedAttemptHistory(ds, tenant);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it("counts this tenant's attempts per channel, and no other tenant's", async () => {
    const [row, ...more] = (await ds.query(DELIVERY_RATES, [tenant])) as { channel: string; total: string; delivered: string; failed: string }[];
    expect(more).toEqual([]);
    expect(row.channel).toBe('sms');
    expect(Number(row.total)).toBeGreaterThanOrEqual(ATTEMPTS_IN_LAST_DAY - 1);
    expect(Number(row.total)).toBeLessThanOrEqual(ATTEMPTS_IN_LAST_DAY + 1);
    expect([Number(row.delivered), Number(row.failed)]).toEqual([Number(row.total), 0]);
  });

  it("reads the last day's block ranges, not the whole table", async () => {
    expect(pages).toBeGreaterThan(200);
    expect(await buffersTouched(ds, DELIVERY_RATES, [tenant])).toBeLessThan(pages / 4);
  });
});

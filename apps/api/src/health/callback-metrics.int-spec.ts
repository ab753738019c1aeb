import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { parse } from 'yaml';
import { createDataSource } from '@tsunagu/database';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { registerCallbackGauges } from './callback-metrics';

/**
 * The callbacks' gauges as /metrics prints them, read from a real PostgreSQL: failed callbacks per
 * tenant id, every tenant listed, and the alert rule asking per tenant.
 */
describe('callback gauges on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const RETRY_HOURS = 1;
  const [refused, another, quiet] = [randomUUID(), randomUUID(), randomUUID()];

  /** One message of `tenant` and callbacks of it in these states, created `hoursAgo`. */
  async function callbacks(tenant: string, states: string[], hoursAgo = 0): Promise<void> {
    const [contact, conversation, message] = [randomUUID(), randomUUID(), randomUUID()];
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, $3)`, [contact, tenant, `bidx-${contact}`]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [conversation, tenant, contact]);
    await ds.query(`INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category) VALUES ($1, $2, $3, $4, 'outbound', 'delivered', 'transactional')`, [
      message, tenant, contact, conversation,
    ]);
    for (const status of states) {
      await ds.query(
        `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, status, give_up_at, created_at)
         VALUES (gen_random_uuid(), $1, $2, 'https://crm.example/cb', '{}', $3, now(), now() - make_interval(hours => $4))`,
        [tenant, message, status, hoursAgo],
      );
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('callbackmetrics');
    ds = await createDataSource(db.url).initialize();
    for (const [id, name] of [[refused, 'refused'], [another, 'another'], [quiet, 'quiet']]) await ds.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [id, name]);
    await callbacks(refused, ['failed', 'failed', 'pending', 'delivered', 'cancelled']);
    // Failed before the retry period and a day: no longer counted.
    await callbacks(refused, ['failed'], RETRY_HOURS + 25);
    await callbacks(another, ['failed', 'pending']);
    await callbacks(quiet, ['delivered']);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const scrape = async () => {
    const registry = new Registry();
    registerCallbackGauges(registry, ds, RETRY_HOURS);
    return registry.metrics();
  };

  it("counts each tenant's failed callbacks under its id, every tenant listed (0 included)", async () => {
    const lines = (await scrape()).split('\n').filter((l) => l.startsWith('tsunagu_callbacks_failed'));
    expect(lines.sort()).toEqual(
      [`tsunagu_callbacks_failed{tenant="${refused}"} 2`, `tsunagu_callbacks_failed{tenant="${another}"} 1`, `tsunagu_callbacks_failed{tenant="${quiet}"} 0`].sort(),
    );
    // The pending gauge is as it was: one number for the install.
    expect(await scrape()).toMatch(/^tsunagu_callbacks_pending 2$/m);
  });

  it('follows a change at the next scrape: a tenant whose callbacks fail shows, one whose failures aged out goes back to 0', async () => {
    await callbacks(quiet, ['failed']);
    await ds.query(`UPDATE callbacks SET created_at = now() - make_interval(hours => $2) WHERE tenant_id = $1`, [another, RETRY_HOURS + 25]);
    const text = await scrape();
    expect(text).toMatch(new RegExp(`^tsunagu_callbacks_failed\\{tenant="${quiet}"\\} 1$`, 'm'));
    expect(text).toMatch(new RegExp(`^tsunagu_callbacks_failed\\{tenant="${another}"\\} 0$`, 'm'));
  });

  it('the alert rule asks per tenant and names it, so one alert says whose endpoint is failing', () => {
    const rules = (parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'config', 'prometheus-alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string; annotations: { summary: string } }[] }[] }).groups.flatMap(
      (g) => g.rules,
    );
    const failing = rules.filter((r) => r.expr.includes('tsunagu_callbacks_failed'));
    expect(failing.map((r) => r.alert)).toEqual(['TsunaguCallbacksFailing']);
    expect(failing[0].expr).toMatch(/^(max|sum) by \(tenant\) \(tsunagu_callbacks_failed\) > 0$/);
    expect(failing[0].annotations.summary).toContain('{{ $labels.tenant }}');
  });
});

import { Gauge, Registry } from 'prom-client';

/** Anything that runs a parameterised query: the api's DataSource, in tests a pg Client as well. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Failed callbacks per tenant, over the retry period and a day (`$1`, seconds): every tenant, 0
 * included, so a tenant's series exists before its first failure and an alert on it resolves to
 * 0 rather than vanishing. The failed ones are read through the partial index `callbacks_failed`;
 * the tenants are few.
 */
export const CALLBACKS_FAILED_BY_TENANT = `SELECT t.id AS tenant, COALESCE(f.n, 0) AS n FROM tenants t
  LEFT JOIN (SELECT tenant_id, count(*) AS n FROM callbacks WHERE status = 'failed' AND created_at > now() - make_interval(secs => $1) GROUP BY tenant_id) f
  ON f.tenant_id = t.id`;

/** The CRM status callbacks' gauges, read from PostgreSQL at each scrape. */
export function registerCallbackGauges(registry: Registry, db: Queryable, retryHours: number): void {
  // One number for the install, counted on the partial index callbacks_pending alone. Per tenant it
  // would read every pending row's tenant from the table at each scrape, in every api process:
  // millions exactly when a CRM is down. `tsunagu_callbacks_failed` says whose CRM it is.
  new Gauge({
    name: 'tsunagu_callbacks_pending',
    help: 'CRM status callbacks not yet taken by the CRM (being tried or waiting for a retry)',
    registers: [registry],
    async collect() {
      const [r] = (await db.query(`SELECT count(*) AS n FROM callbacks WHERE status = 'pending'`).catch(() => [{ n: '0' }])) as { n: string }[];
      this.set(Number(r.n));
    },
  });
  // A callback the CRM refused (a 3xx or 4xx) or never took before its retries ran out is over
  // at once and leaves `pending`: without this, a CRM refusing everything (its verification broken
  // after a rotation, a URL gone) would look like one that takes everything. Counted over the
  // retry period and a day more, so one given up at the end of its retries still shows for a day.
  // Per tenant (its id: names change, ids do not), so an operator sees whose endpoint is failing.
  // A callback cancelled because its retry period ran out with its tenant's URL removed is not a
  // failure of an endpoint: not counted. While it waits for a URL it is pending, and counted there.
  new Gauge({
    name: 'tsunagu_callbacks_failed',
    help: 'CRM status callbacks failed for good (refused by the CRM, or not taken before their retries ran out), of those created in the retry period and a day, by tenant id',
    labelNames: ['tenant'],
    registers: [registry],
    async collect() {
      const rows = (await db.query(CALLBACKS_FAILED_BY_TENANT, [(retryHours + 24) * 3600]).catch(() => null)) as { tenant: string; n: string }[] | null;
      // PostgreSQL not answering keeps the last values: dropping to 0 would resolve a firing alert.
      if (!rows) return;
      this.reset();
      for (const r of rows) this.set({ tenant: r.tenant }, Number(r.n));
    },
  });
}

import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig, PolicyDefaults } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { PhoneCipher } from '@tsunagu/security';
import type { Tx } from '../infra/tx';
import { CHANGED, WorkListener } from '../infra/work-listener';

export interface TenantSettings {
  id: string;
  name: string;
  policy: PolicyDefaults;
  callbackUrl: string | null;
  callbackSecret: string | null;
  /** The secret a rotation replaced, and until when it still signs beside the new one. */
  previousCallbackSecret: { secret: string; until: Date } | null;
}

/** The secrets a callback is signed with now: the current one, and the previous one while its overlap lasts. */
export function signingSecrets(t: TenantSettings, now = new Date()): string[] {
  const prev = t.previousCallbackSecret && t.previousCallbackSecret.until > now ? [t.previousCallbackSecret.secret] : [];
  return t.callbackSecret ? [t.callbackSecret, ...prev] : prev;
}

/**
 * A cached tenant is fresh this long. A change another process makes through `TenantAdminService`
 * is announced (`CHANGED.tenant`) and forgotten at once; this bounds how long a missed
 * announcement (the LISTEN connection away) leaves the old copy in use.
 */
export const TENANT_FRESH_MS = 10_000;
/** Past fresh and under this, the cached tenant is still served while one read refreshes it. */
export const TENANT_STALE_LIMIT_MS = 5 * 60_000;

interface Cached {
  at: number;
  value: TenantSettings;
}

/**
 * Tenant rows change rarely and are read on every request and every decision: cached per
 * process. Once an entry is past fresh, callers keep getting it while a single read in the
 * background replaces it. Every caller waiting on the read instead made each decision in a
 * burst queue for a pool connection: after a PostgreSQL restart, a dozen decisions at once each
 * opened a connection for the same row, and fallbacks due then fired 100–430 ms late. A refresh
 * that fails (the database away) leaves the entry in use; past the stale limit callers wait.
 *
 * A tenant changed in another process (the CLI setting its first callback URL) is forgotten as
 * soon as the change is announced: the callback writer decides from this copy whether a change
 * gets a callback at all, and a copy kept for TENANT_FRESH_MS wrote none for that long.
 */
@Injectable()
export class TenantSettingsService implements OnApplicationBootstrap {
  private readonly cache = new Map<string, Cached>();
  /** The one read in flight per tenant, shared by every caller that needs it. */
  private readonly reading = new Map<string, Promise<TenantSettings>>();
  /** Bumped by `forget`: a read that began before it does not put its older row back. */
  private generation = 0;
  /** The clock, replaceable in tests. */
  now: () => number = Date.now;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    private readonly cipher: PhoneCipher,
    @Optional() private readonly listener?: WorkListener,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.listener) return;
    this.listener.subscribe(CHANGED.tenant, (tenantId) => this.forget(tenantId));
    await this.listener.start();
  }

  /** Inside a transaction pass it: a second pool connection per job starves the pool. */
  async get(tenantId: string, tx?: Tx): Promise<TenantSettings> {
    const hit = this.cache.get(tenantId);
    const age = hit ? this.now() - hit.at : Infinity;
    if (hit && age < TENANT_FRESH_MS) return hit.value;
    if (hit && age < TENANT_STALE_LIMIT_MS) {
      if (!this.reading.has(tenantId)) this.read(tenantId).catch(() => undefined);
      return hit.value;
    }
    return this.reading.get(tenantId) ?? (tx ? this.load(tenantId, tx) : this.read(tenantId));
  }

  /**
   * Read from PostgreSQL now, past the cache (and refreshing it): for a decision that must see a
   * change another process made a moment ago. The callback sender signs and addresses each try
   * with this: a cached copy kept signing with a secret just rotated out (one the CRM may already
   * refuse) and posting to a URL just replaced, for up to TENANT_FRESH_MS and a stale read more.
   */
  fresh(tenantId: string): Promise<TenantSettings> {
    return this.load(tenantId);
  }

  forget(tenantId: string): void {
    this.generation++;
    this.cache.delete(tenantId);
    this.reading.delete(tenantId);
  }

  /** The shared read, on a pool connection. */
  private read(tenantId: string): Promise<TenantSettings> {
    const read = this.load(tenantId).finally(() => {
      if (this.reading.get(tenantId) === read) this.reading.delete(tenantId);
    });
    this.reading.set(tenantId, read);
    return read;
  }

  private async load(tenantId: string, tx?: Tx): Promise<TenantSettings> {
    const generation = this.generation;
    const sql = `SELECT id, name, callback_url, callback_secret_enc, callback_secret_prev_enc, callback_secret_prev_until FROM tenants WHERE id = $1`;
    type Row = { id: string; name: string; callback_url: string | null; callback_secret_enc: Buffer | null; callback_secret_prev_enc: Buffer | null; callback_secret_prev_until: Date | null };
    const [row] = tx ? await tx.query<Row>(sql, [tenantId]) : ((await this.db.query(sql, [tenantId])) as Row[]);
    if (!row) throw new DomainError('NOT_FOUND', 'Tenant not found.');
    const overrides = this.config.tenantPolicies[row.name] ?? {};
    const value: TenantSettings = {
      id: row.id,
      name: row.name,
      policy: { ...this.config.policy, ...overrides },
      callbackUrl: row.callback_url,
      callbackSecret: row.callback_secret_enc ? this.cipher.decryptSecret(row.callback_secret_enc) : null,
      previousCallbackSecret:
        row.callback_secret_prev_enc && row.callback_secret_prev_until
          ? { secret: this.cipher.decryptSecret(row.callback_secret_prev_enc), until: new Date(row.callback_secret_prev_until) }
          : null,
    };
    if (generation === this.generation) this.cache.set(tenantId, { at: this.now(), value });
    return value;
  }
}

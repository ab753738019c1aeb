import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig, PolicyDefaults } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { PhoneCipher } from '@tsunagu/security';
import type { Tx } from '../infra/tx';

export interface TenantSettings {
  id: string;
  name: string;
  policy: PolicyDefaults;
  callbackUrl: string | null;
  callbackSecret: string | null;
}

const TTL_MS = 10_000;

/** Tenant rows change rarely and are read on every request: cached briefly per process. */
@Injectable()
export class TenantSettingsService {
  private readonly cache = new Map<string, { at: number; value: TenantSettings }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    private readonly cipher: PhoneCipher,
  ) {}

  /** Inside a transaction pass it: a second pool connection per job starves the pool. */
  async get(tenantId: string, tx?: Tx): Promise<TenantSettings> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const sql = `SELECT id, name, callback_url, callback_secret_enc FROM tenants WHERE id = $1`;
    type Row = { id: string; name: string; callback_url: string | null; callback_secret_enc: Buffer | null };
    const [row] = tx ? await tx.query<Row>(sql, [tenantId]) : ((await this.db.query(sql, [tenantId])) as Row[]);
    if (!row) throw new DomainError('NOT_FOUND', 'Tenant not found.');
    const overrides = this.config.tenantPolicies[row.name] ?? {};
    const value: TenantSettings = {
      id: row.id,
      name: row.name,
      policy: { ...this.config.policy, ...overrides },
      callbackUrl: row.callback_url,
      callbackSecret: row.callback_secret_enc ? this.cipher.decryptSecret(row.callback_secret_enc) : null,
    };
    this.cache.set(tenantId, { at: Date.now(), value });
    return value;
  }

  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}

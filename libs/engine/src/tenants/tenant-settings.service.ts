import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig, PolicyDefaults } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { TenantEntity } from '@tsunagu/database';
import { PhoneCipher } from '@tsunagu/security';

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

  /** Inside a transaction pass its manager: a second pool connection per job starves the pool. */
  async get(tenantId: string, m?: EntityManager): Promise<TenantSettings> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const row = await (m ?? this.db.manager).getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (!row) throw new DomainError('NOT_FOUND', 'Tenant not found.');
    const overrides = this.config.tenantPolicies[row.name] ?? {};
    const value: TenantSettings = {
      id: row.id,
      name: row.name,
      policy: { ...this.config.policy, ...overrides },
      callbackUrl: row.callbackUrl,
      callbackSecret: row.callbackSecretEnc ? this.cipher.decryptSecret(row.callbackSecretEnc) : null,
    };
    this.cache.set(tenantId, { at: Date.now(), value });
    return value;
  }

  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}

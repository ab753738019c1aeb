import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from '@tsunagu/database';
import { TenantAdminService } from '@tsunagu/engine';

export const CONSOLE_KEY_SCOPES = ['messages:send', 'messages:read', 'admin'] as const;
/** The lifetimes the console offers for a new key, in days (or none: until revoked). */
export const KEY_EXPIRY_DAYS = [30, 90, 365] as const;

/** API keys as a tenant admin manages them: listed and revoked within the tenant only. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tenants: TenantAdminService,
  ) {}

  list(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.db.getRepository(ApiKeyEntity).find({ where: { tenantId }, order: { createdAt: 'DESC' } });
  }

  create(tenantId: string, scopes: string[], name: string, opts: { expiresInDays?: number; allowedNetworks?: string[] }) {
    return this.tenants.createApiKey(tenantId, scopes, name, opts);
  }

  revoke(tenantId: string, keyId: string): Promise<boolean> {
    return this.tenants.revokeApiKey(keyId, tenantId);
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError, newId } from '@tsunagu/core';
import { AllLookup, PhoneCipher, assertCallbackUrlAllowed, generateApiKey, generateWebhookSecret, hostLookupOf, osResolver, parseNetworks } from '@tsunagu/security';
import { CALLBACK_RESOLVER } from '../callbacks/callback-resolver';
import { rowsOf } from '../infra/rows-of';
import { ANNOUNCE_API_KEY_CHANGE, ANNOUNCE_TENANT_CHANGE, bringCallbacksForward } from './tenant-changes';
import { TenantSettingsService } from './tenant-settings.service';

export const API_SCOPES = ['messages:send', 'messages:read', 'admin'] as const;

/** Tenants and their API keys: used by the CLI and by tests; keys are shown once and stored hashed. */
@Injectable()
export class TenantAdminService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: PhoneCipher,
    private readonly settings: TenantSettingsService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    @Optional() @Inject(CALLBACK_RESOLVER) private readonly resolve: AllLookup = osResolver,
  ) {}

  async createTenant(name: string, callbackUrl: string | null = null, id: string = newId()): Promise<{ id: string; callbackSecret: string }> {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new DomainError('INVALID_REQUEST', 'A tenant name is 1–64 letters, digits, dots, dashes or underscores.');
    await this.assertCallbackUrl(callbackUrl);
    const callbackSecret = generateWebhookSecret();
    await this.db.query(`INSERT INTO tenants (id, name, callback_url, callback_secret_enc) VALUES ($1, $2, $3, $4)`, [
      id,
      name,
      callbackUrl,
      this.cipher.encryptSecret(callbackSecret),
    ]);
    return { id, callbackSecret };
  }

  async exists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM tenants WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /**
   * The same check as a message's callbackUrl on the API: 422 CALLBACK_URL_NOT_ALLOWED, nothing
   * stored. Setting a URL (even the one already set) also brings forward the tenant's callbacks
   * waiting for a retry: a CRM that moved its endpoint, or came back, gets what is pending now,
   * not after a backoff of up to 30 minutes (or an hour it asked for). Answers how many.
   */
  async setCallbackUrl(tenantId: string, url: string | null): Promise<{ broughtForward: number }> {
    await this.assertCallbackUrl(url);
    await this.db.query(`UPDATE tenants SET callback_url = $2 WHERE id = $1`, [tenantId, url]);
    await this.db.query(ANNOUNCE_TENANT_CHANGE, [tenantId]);
    this.settings.forget(tenantId);
    return { broughtForward: url === null ? 0 : await bringCallbacksForward(this.db, tenantId) };
  }

  /** A tenant's default callback URL is as much a tenant's input as a message's: checked the same way. */
  private async assertCallbackUrl(url: string | null): Promise<void> {
    if (url !== null) await assertCallbackUrlAllowed(url, { allowPrivate: this.config.callbacks.allowPrivateUrls, lookup: hostLookupOf(this.resolve) });
  }

  /**
   * A new callback secret, shown once. The one it replaces keeps signing beside it for
   * `overlapHours` (0 ends it at once, for a secret that leaked), so the CRM can move its
   * verification to the new secret without refusing a single callback.
   */
  async rotateCallbackSecret(tenantId: string, overlapHours = 24): Promise<{ callbackSecret: string; previousUntil: string | null }> {
    if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > 24 * 30) throw new DomainError('INVALID_REQUEST', 'The overlap is 0 to 720 hours.');
    const callbackSecret = generateWebhookSecret();
    const rows = rowsOf<{ until: Date | null }>(
      await this.db.query(
        `UPDATE tenants SET callback_secret_prev_enc = CASE WHEN $3::float8 > 0 THEN callback_secret_enc END,
           callback_secret_prev_until = CASE WHEN $3::float8 > 0 AND callback_secret_enc IS NOT NULL THEN now() + make_interval(secs => $3::float8 * 3600) END,
           callback_secret_enc = $2
         WHERE id = $1 RETURNING callback_secret_prev_until AS until`,
        [tenantId, this.cipher.encryptSecret(callbackSecret), overlapHours],
      ),
    );
    if (rows.length === 0) throw new DomainError('NOT_FOUND', 'No tenant with this id.');
    await this.db.query(ANNOUNCE_TENANT_CHANGE, [tenantId]);
    this.settings.forget(tenantId);
    return { callbackSecret, previousUntil: rows[0].until ? new Date(rows[0].until).toISOString() : null };
  }

  /**
   * `expiresInDays`: the key stops working after that many days (1–3650); none: until revoked.
   * `allowedNetworks`: the key is refused from anywhere else; none: any network.
   */
  async createApiKey(
    tenantId: string,
    scopes: string[],
    name = '',
    opts: { expiresInDays?: number; allowedNetworks?: string[] } = {},
  ): Promise<{ id: string; token: string; expiresAt: string | null; allowedNetworks: string[] }> {
    const { expiresInDays } = opts;
    const allowedNetworks = parseNetworks(opts.allowedNetworks ?? []);
    if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 3650)) {
      throw new DomainError('INVALID_REQUEST', 'A key expires after 1 to 3650 days.');
    }
    const bad = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (bad.length || scopes.length === 0) throw new DomainError('INVALID_REQUEST', `Scopes are ${API_SCOPES.join(', ')}; got ${scopes.join(', ') || 'none'}.`);
    const exists: unknown[] = await this.db.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId]);
    if (exists.length === 0) throw new DomainError('NOT_FOUND', 'No tenant with this id.');
    const key = generateApiKey();
    const expiresAt = expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000);
    await this.db.query(`INSERT INTO api_keys (id, tenant_id, name, secret_hash, scopes, expires_at, allowed_networks) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      key.id, tenantId, name, key.hash, scopes, expiresAt, allowedNetworks,
    ]);
    return { id: key.id, token: key.token, expiresAt: expiresAt?.toISOString() ?? null, allowedNetworks };
  }

  /**
   * Revokes a key (only within `tenantId` when given: the console's admin revokes its own
   * organisation's). Every api process is told at once: a leaked key stops working now, not when
   * a cached copy of it expires (`TSUNAGU_API_KEY_CACHE_MS`, the fallback if that word is lost).
   */
  async revokeApiKey(keyId: string, tenantId?: string): Promise<boolean> {
    const rows = rowsOf(
      await this.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) AND revoked_at IS NULL RETURNING 1`, [keyId, tenantId ?? null]),
    );
    if (rows.length > 0) await this.db.query(ANNOUNCE_API_KEY_CHANGE, [keyId]);
    return rows.length > 0;
  }
}

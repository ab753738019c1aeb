import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('tenants')
export class TenantEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'callback_url', nullable: true }) callbackUrl!: string | null;
  /** The Standard Webhooks secret, encrypted with the data key. */
  @Column('bytea', { name: 'callback_secret_enc', nullable: true }) callbackSecretEnc!: Buffer | null;
  /** The secret a rotation replaced, still signing (beside the new one) until `callbackSecretPrevUntil`. */
  @Column('bytea', { name: 'callback_secret_prev_enc', nullable: true }) callbackSecretPrevEnc!: Buffer | null;
  @Column('timestamptz', { name: 'callback_secret_prev_until', nullable: true }) callbackSecretPrevUntil!: Date | null;
  @Column('jsonb') settings!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

@Entity('api_keys')
export class ApiKeyEntity {
  /** The public part of the key (`tsk_<id>_…`): safe to show and log. */
  @PrimaryColumn('text') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  @Column('text', { name: 'secret_hash' }) secretHash!: string;
  @Column('text', { array: true }) scopes!: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  /** Null: until revoked. */
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  /** Networks the key may be used from (`10.0.0.0/8`…); empty: any. */
  @Column('text', { name: 'allowed_networks', array: true }) allowedNetworks!: string[];
}

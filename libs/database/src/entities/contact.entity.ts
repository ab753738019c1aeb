import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A cached capability answer per channel, so the policy does not ask the provider every time. */
export interface CachedCapability {
  reachable: boolean;
  reason: string;
  checkedAt: string;
  expiresAt: string;
}

@Entity('contacts')
export class ContactEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  /** AES-256-GCM ciphertext of the E.164 number. */
  @Column('bytea', { name: 'phone_enc' }) phoneEnc!: Buffer;
  /** Keyed HMAC of the number, per tenant: the only way a number is looked up. */
  @Column('text', { name: 'phone_bidx' }) phoneBidx!: string;
  @Column('text', { name: 'line_user_id', nullable: true }) lineUserId!: string | null;
  @Column('boolean', { name: 'line_following', nullable: true }) lineFollowing!: boolean | null;
  @Column('text', { name: 'opt_outs', array: true }) optOuts!: string[];
  @Column('jsonb') capabilities!: Record<string, CachedCapability>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  /** Erased on request: the number, LINE link and texts are gone; the ids stay so history resolves. */
  @Column('timestamptz', { name: 'erased_at', nullable: true }) erasedAt!: Date | null;
}

@Entity('conversations')
export class ConversationEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'contact_id' }) contactId!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'last_activity_at' }) lastActivityAt!: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

export type SenderKind = 'short_code' | 'long_number' | 'alphanumeric';
export type SenderState = 'requested' | 'approved' | 'suspended';

/** A registered sender address (anti-spoofing): usable only once approved, only on its routes. */
@Entity('senders')
export class SenderEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') address!: string;
  @Column('text') kind!: SenderKind;
  @Column('smallint') ton!: number;
  @Column('smallint') npi!: number;
  @Column('text') state!: SenderState;
  @Column('text', { array: true }) routes!: string[];
  @Column('text', { name: 'updated_by' }) updatedBy!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity('audit_log')
export class AuditEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') actor!: string;
  @Column('text') action!: string;
  @Column('text', { name: 'subject_type' }) subjectType!: string;
  @Column('text', { name: 'subject_id' }) subjectId!: string;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('jsonb', { nullable: true }) detail!: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

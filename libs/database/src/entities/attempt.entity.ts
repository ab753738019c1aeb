import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AttemptStatus } from '@tsunagu/core';

@Entity('attempts')
export class AttemptEntity {
  /** Also the provider idempotency key (RBM messageId, LINE X-Line-Retry-Key). */
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  @Column('smallint') seq!: number;
  @Column('text') channel!: string;
  @Column('text') status!: AttemptStatus;
  @Column('text', { nullable: true }) route!: string | null;
  @Column('text', { nullable: true }) bind!: string | null;
  @Column('text', { nullable: true }) sender!: string | null;
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId!: string | null;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('boolean', { nullable: true }) permanent!: boolean | null;
  @Column('integer') retries!: number;
  /** False when the channel reports nothing after acceptance (LINE push): `sent` is success. */
  @Column('boolean', { name: 'awaits_delivery' }) awaitsDelivery!: boolean;
  @Column('integer', { name: 'timeout_seconds' }) timeoutSeconds!: number;
  /** When the policy stops waiting for this attempt and falls back. */
  @Column('timestamptz', { name: 'deadline_at', nullable: true }) deadlineAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'submitting_at', nullable: true }) submittingAt!: Date | null;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt!: Date | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
  @Column('timestamptz', { name: 'read_at', nullable: true }) readAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** One SMS segment: receipts arrive per part; the attempt is delivered when every part is. */
@Entity('attempt_parts')
export class AttemptPartEntity {
  @PrimaryColumn('uuid', { name: 'attempt_id' }) attemptId!: string;
  @PrimaryColumn('smallint', { name: 'part_index' }) partIndex!: number;
  @Column('text', { name: 'provider_message_id' }) providerMessageId!: string;
  @Column('text') status!: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' }) tenantId!: string;
  @PrimaryColumn('text') key!: string;
  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  @Column('text', { name: 'request_hash' }) requestHash!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  @Column('smallint', { name: 'response_status' }) responseStatus!: number;
  @Column('jsonb', { name: 'response_body' }) responseBody!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** Jobs written in the same transaction as the rows they act on; a relay moves them to BullMQ. */
@Entity('outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column('text') queue!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'job_id' }) jobId!: string;
  @Column('jsonb') payload!: Record<string, unknown>;
  @Column('timestamptz', { name: 'available_at' }) availableAt!: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/**
 * A signed status callback to the CRM; its id is the `webhook-id` the CRM dedupes on. Each try
 * is a `callback_tries` row (the URL it went to, what came back).
 */
@Entity('callbacks')
export class CallbackEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  /** Where it was last sent (or, before its first try, would have gone when written). */
  @Column('text') url!: string;
  @Column('jsonb') payload!: Record<string, unknown>;
  /** `cancelled`: its give-up time came with no callback URL to send to (`last_error` says so). */
  @Column('text') status!: 'pending' | 'delivered' | 'failed' | 'cancelled';
  @Column('integer') tries!: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt!: Date;
  @Column('timestamptz', { name: 'give_up_at' }) giveUpAt!: Date;
  @Column('integer', { name: 'last_status', nullable: true }) lastStatus!: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
}

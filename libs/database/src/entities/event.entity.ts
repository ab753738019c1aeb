import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every transition and every provider report, redacted. UNIQUE (source, provider_event_id). */
@Entity('events')
export class EventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId!: string | null;
  @Column('uuid', { name: 'message_id', nullable: true }) messageId!: string | null;
  @Column('uuid', { name: 'attempt_id', nullable: true }) attemptId!: string | null;
  /** `engine`, `policy`, `api` or a channel name. */
  @Column('text') source!: string;
  @Column('text') type!: string;
  @Column('text', { name: 'provider_event_id', nullable: true }) providerEventId!: string | null;
  @Column('text', { nullable: true }) status!: string | null;
  @Column('text', { nullable: true }) reason!: string | null;
  /** A report that contradicts a terminal state: recorded, not applied. */
  @Column('boolean') anomaly!: boolean;
  @Column('jsonb', { nullable: true }) detail!: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** A receipt that arrived before the submit_sm_resp that tells us its message id. */
@Entity('parked_events')
export class ParkedEventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') channel!: string;
  @Column('text', { name: 'provider_message_id' }) providerMessageId!: string;
  @Column('jsonb') event!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
}

/** Inbound traffic we could not parse (malformed receipts): kept for operators, changes nothing. */
@Entity('unparsed_inbound')
export class UnparsedInboundEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') channel!: string;
  @Column('text') reason!: string;
  @Column('jsonb', { nullable: true }) detail!: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** Why the engine did what it did: the policy's inputs and answer, shown with the message. */
@Entity('decisions')
export class DecisionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  @Column('text') kind!: string;
  @Column('jsonb') inputs!: Record<string, unknown>;
  @Column('jsonb') outcome!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

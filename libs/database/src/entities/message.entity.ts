import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Category, MessageStatus } from '@tsunagu/core';

/** The channel plan decided at accept time; the worker follows it attempt by attempt. */
export interface MessagePlan {
  channels: string[];
  timeouts: Record<string, number>;
  successOn: 'delivered' | 'read';
  allowInternational: boolean;
  /** Route chosen for SMS at accept time (its sender was checked against it). */
  smsRoute?: string | null;
}

@Entity('messages')
export class MessageEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'contact_id' }) contactId!: string;
  @Column('uuid', { name: 'conversation_id' }) conversationId!: string;
  @Column('text') direction!: 'outbound' | 'inbound';
  /** Inbound: the channel it came on. Outbound: the channel that delivered it. */
  @Column('text', { nullable: true }) channel!: string | null;
  @Column('text', { nullable: true }) category!: Category | null;
  @Column('text') status!: MessageStatus | 'received';
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { nullable: true }) text!: string | null;
  /** OTP bodies are wiped once the message is final. */
  @Column('boolean', { name: 'text_redacted' }) textRedacted!: boolean;
  @Column('jsonb', { nullable: true }) rcs!: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) line!: Record<string, unknown>[] | null;
  @Column('jsonb', { nullable: true }) plan!: MessagePlan | null;
  @Column('text', { nullable: true }) sender!: string | null;
  @Column('text', { name: 'callback_url', nullable: true }) callbackUrl!: string | null;
  @Column('jsonb', { nullable: true }) metadata!: Record<string, unknown> | null;
  @Column('text', { name: 'crm_ref', nullable: true }) crmRef!: string | null;
  @Column('timestamptz', { name: 'send_at', nullable: true }) sendAt!: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  /** When the engine must look at this message next (fallback deadline, scheduled send, quiet hours). */
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt!: Date | null;
  @Column('boolean', { name: 'possible_duplicate' }) possibleDuplicate!: boolean;
  @Column('boolean', { name: 'cancel_requested' }) cancelRequested!: boolean;
  @Column('text', { name: 'provider_event_id', nullable: true }) providerEventId!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
}

import { ApiKeyEntity, TenantEntity } from './tenant.entity';
import { ContactEntity, ConversationEntity } from './contact.entity';
import { MessageEntity } from './message.entity';
import { AttemptEntity, AttemptPartEntity } from './attempt.entity';
import { DecisionEntity, EventEntity, ParkedEventEntity, UnparsedInboundEntity } from './event.entity';
import { CallbackEntity, IdempotencyKeyEntity, OutboxEntity } from './delivery.entity';
import { AuditEntity, SenderEntity } from './sender.entity';
import { StaffEntity, StaffSessionEntity } from './staff.entity';

export * from './tenant.entity';
export * from './contact.entity';
export * from './message.entity';
export * from './attempt.entity';
export * from './event.entity';
export * from './delivery.entity';
export * from './sender.entity';
export * from './staff.entity';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  ContactEntity,
  ConversationEntity,
  MessageEntity,
  AttemptEntity,
  AttemptPartEntity,
  EventEntity,
  ParkedEventEntity,
  UnparsedInboundEntity,
  DecisionEntity,
  IdempotencyKeyEntity,
  OutboxEntity,
  CallbackEntity,
  SenderEntity,
  AuditEntity,
  StaffEntity,
  StaffSessionEntity,
];

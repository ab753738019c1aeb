import { Global, Inject, Module } from '@nestjs/common';
import { CHANNEL_EVENT_SINK } from '@tsunagu/channels';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { AcceptMessageService } from './accept/accept-message.service';
import { ValidateMessageService } from './accept/validate-message.service';
import { CallbackSenderService } from './callbacks/callback-sender.service';
import { CallbackLogService } from './callbacks/callback-log.service';
import { CallbackWriter } from './callbacks/callback.writer';
import { ContactService } from './contacts/contact.service';
import { LineLinkService } from './contacts/line-link.service';
import { ContactErasureService } from './contacts/contact-erasure.service';
import { AdvanceService } from './dispatch/advance.service';
import { AttemptViews } from './dispatch/attempt-views';
import { LockedRows } from './dispatch/locked-rows';
import { TxGroups } from './infra/tx-groups.service';
import { StatementBatches } from './infra/statement-batches';
import { PreparedStatements } from './infra/prepared-statements';
import { SendAttemptService } from './dispatch/send-attempt.service';
import { EngineRedis } from './infra/engine-redis';
import { TokenBucket } from './infra/token-bucket';
import { ChannelHealthService } from './infra/channel-health.service';
import { BackpressureService } from './infra/backpressure.service';
import { InboundService } from './events/inbound.service';
import { IngestEventsService } from './events/ingest-events.service';
import { ParkedEvents } from './events/parked-events';
import { StateRecorder } from './events/state-recorder';
import { cryptoProvider } from './infra/crypto.provider';
import { JobQueues } from './infra/job-queues.service';
import { ConversationService } from './queries/conversation.service';
import { MessageViewService } from './queries/message-view.service';
import { MessageListService } from './queries/message-list.service';
import { OutboxRelayService } from './relay/outbox-relay.service';
import { ReconcilerService } from './relay/reconciler.service';
import { DueDispatcher } from './timers/due-dispatcher.service';
import { WorkListener } from './infra/work-listener';
import { TenantSettingsService } from './tenants/tenant-settings.service';
import { TenantAdminService } from './tenants/tenant-admin.service';
import { SenderAdminService } from './senders/sender-admin.service';
import { RetentionService } from './retention/retention.service';

const services = [
  AcceptMessageService,
  ValidateMessageService,
  CallbackSenderService,
  CallbackLogService,
  CallbackWriter,
  ContactService,
  LineLinkService,
  ContactErasureService,
  AdvanceService,
  AttemptViews,
  LockedRows,
  TxGroups,
  StatementBatches,
  SendAttemptService,
  EngineRedis,
  TokenBucket,
  ChannelHealthService,
  BackpressureService,
  InboundService,
  IngestEventsService,
  ParkedEvents,
  StateRecorder,
  cryptoProvider,
  JobQueues,
  ConversationService,
  MessageViewService,
  MessageListService,
  OutboxRelayService,
  ReconcilerService,
  DueDispatcher,
  WorkListener,
  TenantSettingsService,
  TenantAdminService,
  SenderAdminService,
  RetentionService,
];

/** The use cases shared by api and worker. Global so channel modules can reach the event sink. */
@Global()
@Module({
  providers: [...services, { provide: CHANNEL_EVENT_SINK, useExisting: IngestEventsService }],
  exports: [...services, CHANNEL_EVENT_SINK],
})
export class EngineModule {
  constructor(@Inject(TSUNAGU_CONFIG) config: TsunaguConfig) {
    PreparedStatements.configure({ enabled: config.database.prepareStatements });
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ChannelsModule } from '@tsunagu/channels';
import { ConfigModule, TsunaguConfig } from '@tsunagu/config';
import { DatabaseModule } from '@tsunagu/database';
import { EngineModule } from '@tsunagu/engine';
import { channelModules } from '@tsunagu/platform';
import { ContactsController } from './contacts/contacts.controller';
import { HealthController } from './health/health.controller';
import { ApiMetrics } from './health/api-metrics';
import { MetricsController } from './health/metrics.controller';
import { ApiKeyGuard } from './http/api-key.guard';
import { MessagesController } from './messages/messages.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { SendersController } from './senders/senders.controller';
import { CallbacksController } from './callbacks/callbacks.controller';
import { OperatorSendersController } from './ops/operator-senders.controller';
import { ConsoleModule } from '@tsunagu/console';

/** HTTP only: controllers validate and call one engine service each. */
@Module({})
export class ApiModule {
  static forRoot(config: TsunaguConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        ChannelsModule,
        EngineModule,
        TerminusModule.forRoot({ logger: false }),
        ...channelModules(config, 'api', extra),
        ConsoleModule,
      ],
      controllers: [MessagesController, CallbacksController, ContactsController, SendersController, OperatorSendersController, WebhooksController, HealthController, MetricsController],
      providers: [ApiKeyGuard, ApiMetrics],
    };
  }
}

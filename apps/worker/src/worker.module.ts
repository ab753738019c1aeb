import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ChannelsModule } from '@tsunagu/channels';
import { ConfigModule, TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DatabaseModule } from '@tsunagu/database';
import { ChannelHealthService, DueDispatcher, EngineModule, OutboxRelayService, ReconcilerService, RetentionService, redisOptions } from '@tsunagu/engine';
import { QUEUES } from '@tsunagu/jobs';
import { channelModules } from '@tsunagu/platform';
import { CallbackProcessor } from './processors/callback.processor';
import { SendWorkers } from './processors/send.workers';

/** The engine's workers: the due-message dispatcher, the outbox relay and BullMQ processors (thin shells over engine services). */
@Module({})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly relay: OutboxRelayService,
    private readonly reconciler: ReconcilerService,
    private readonly dispatcher: DueDispatcher,
    private readonly callbacks: CallbackProcessor,
    private readonly health: ChannelHealthService,
    private readonly retention: RetentionService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  static forRoot(config: TsunaguConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        ChannelsModule,
        EngineModule,
        BullModule.forRoot({ connection: redisOptions(config.redisUrl), prefix: config.redisPrefix }),
        BullModule.registerQueue({ name: QUEUES.callback }),
        ...channelModules(config, 'worker', extra),
      ],
      providers: [CallbackProcessor, SendWorkers],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.callbacks.worker.concurrency = this.config.worker.concurrency;
    await this.relay.start();
    await this.dispatcher.start();
    this.reconciler.start();
    this.health.startPublishing();
    this.retention.start();
  }
}

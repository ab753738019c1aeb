import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DelayedError, Job, Worker } from 'bullmq';
import { ChannelRegistry } from '@tsunagu/channels';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { SendAttemptService, ThroughputWait, redisOptions } from '@tsunagu/engine';
import { QUEUES, STALL_OPTIONS, SendJob, providerBackoff } from '@tsunagu/jobs';

/**
 * One BullMQ worker per channel's send queue. Channels come from the registry at boot, so these
 * are created here rather than declared with @Processor (whose queue names are fixed at compile time).
 */
@Injectable()
export class SendWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(SendWorkers.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly send: SendAttemptService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const channel of this.registry.names()) {
      const worker = new Worker<SendJob>(
        QUEUES.send(channel),
        async (job: Job<SendJob>, token?: string) => {
          try {
            return await this.send.send(job.data.attemptId, { finalTry: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
          } catch (err) {
            // Over the account's shared throughput: park this job only, other routes keep flowing.
            if (err instanceof ThroughputWait) {
              await job.moveToDelayed(Date.now() + err.waitMs, token);
              throw new DelayedError();
            }
            throw err;
          }
        },
        {
          connection: redisOptions(this.config.redisUrl),
          prefix: this.config.redisPrefix,
          concurrency: this.config.worker.sendConcurrency,
          ...STALL_OPTIONS,
          settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => providerBackoff(attemptsMade, err) },
        },
      );
      worker.on('error', (err) => this.log.warn({ channel, err: err.message }, 'send worker error'));
      this.workers.push(worker);
    }
  }

  /** Graceful: stop taking jobs, let the ones in hand finish, then close. */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }
}

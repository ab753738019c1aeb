import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { within } from '@tsunagu/core';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DEFAULT_JOB_OPTIONS } from '@tsunagu/jobs';
import { redisOptions } from './redis-connection';

const EVENT_STREAM_LENGTH = 1000;

/**
 * The BullMQ queues, created on first use by name: send queues are per channel, and channels
 * come from the registry, so they are not known when modules are declared.
 */
@Injectable()
export class JobQueues implements OnModuleDestroy {
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  get(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: redisOptions(this.config.redisUrl),
        prefix: this.config.redisPrefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        // Nothing reads the queue's event stream (the engine's record is PostgreSQL): BullMQ's
        // default keeps 10,000 entries, about 125 bytes of Redis per pending timer at that scale.
        streams: { events: { maxLen: EVENT_STREAM_LENGTH } },
      });
      // A Redis outage must not crash the process: the outbox keeps the work until Redis is back.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add(queue: string, name: string, payload: object, opts: JobsOptions): Promise<void> {
    await this.get(queue).add(name, payload, opts);
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async onModuleDestroy(): Promise<void> {
    // Bounded: closing a queue whose Redis never answered would otherwise wait forever.
    const closing = Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await within(closing, 2000);
    for (const q of this.queues.values()) q.disconnect().catch(() => undefined);
  }
}

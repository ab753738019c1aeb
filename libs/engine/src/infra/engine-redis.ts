import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { createRedis } from './redis-connection';

/**
 * The one plain Redis client of a process's engine (token buckets, parked-receipt counts, channel
 * health), made on first use so a process that needs none opens none. BullMQ keeps its own
 * connections: its blocking reads would stall every command queued behind them on a shared one.
 * Closed at application shutdown, after every module's own `onModuleDestroy` has stopped using it.
 */
@Injectable()
export class EngineRedis implements OnApplicationShutdown {
  private redis: IORedis | null = null;

  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: Pick<TsunaguConfig, 'redisUrl'>) {}

  client(): IORedis {
    return (this.redis ??= createRedis(this.config.redisUrl));
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
    this.redis = null;
  }
}

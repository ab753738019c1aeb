import { hostname } from 'node:os';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import IORedis from 'ioredis';
import { ChannelHealth, ChannelRegistry } from '@tsunagu/channels';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { EngineRedis } from './engine-redis';

const REPORT_TTL_SECONDS = 15;
const PUBLISH_EVERY_MS = 5000;

/**
 * Provider connections live in workers (an SMPP bind is held by the worker that opened it), but
 * health is asked of the api. Each worker publishes its adapters' health to Redis every few
 * seconds with a short TTL; the api reads every worker's report. A worker that dies stops
 * reporting, and its binds disappear from health with it.
 */
@Injectable()
export class ChannelHealthService implements OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    private readonly registry: ChannelRegistry,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    private readonly redis: EngineRedis,
  ) {}

  private client(): IORedis {
    return this.redis.client();
  }

  private key(channel: string, instance = this.instance): string {
    return `${this.config.redisPrefix}:health:${channel}:${instance}`;
  }

  /** Worker side: start publishing. */
  startPublishing(): void {
    const publish = async () => {
      for (const channel of this.registry.names()) {
        const health = await this.registry.get(channel).health().catch((err: Error) => ({ up: false, detail: { error: err.message } }));
        await this.client().set(this.key(channel), JSON.stringify({ ...health, at: new Date().toISOString() }), 'EX', REPORT_TTL_SECONDS).catch(() => undefined);
      }
    };
    void publish();
    this.timer = setInterval(() => void publish(), PUBLISH_EVERY_MS);
  }

  /** Api side: every channel, from the workers' reports (or this process's adapter when none reported). */
  async all(): Promise<Record<string, ChannelHealth & { workers: number }>> {
    const result: Record<string, ChannelHealth & { workers: number }> = {};
    for (const channel of this.registry.names()) {
      const keys = await this.scan(`${this.config.redisPrefix}:health:${channel}:*`).catch(() => [] as string[]);
      const reports = keys.length ? ((await this.client().mget(...keys).catch(() => [])) as (string | null)[]) : [];
      const workers = Object.fromEntries(
        reports.flatMap((r, i) => (r ? [[keys[i].slice(keys[i].lastIndexOf(`:${channel}:`) + channel.length + 2), JSON.parse(r) as ChannelHealth]] : [])),
      );
      const list = Object.values(workers);
      if (list.length > 0) {
        result[channel] = { up: list.some((h) => h.up), detail: { workers }, workers: list.length };
      } else {
        const local = await this.registry.get(channel).health().catch((err: Error) => ({ up: false, detail: { error: err.message } }));
        result[channel] = { ...local, detail: { ...local.detail, note: 'no worker has reported' }, workers: 0 };
      }
    }
    return result;
  }

  private async scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.client().scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    // A worker that stops cleanly withdraws its reports at once (the shared client closes after this, at shutdown).
    await Promise.allSettled(this.registry.names().map((c) => this.client().del(this.key(c))));
  }
}

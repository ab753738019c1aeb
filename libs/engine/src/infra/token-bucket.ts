import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import IORedis from 'ioredis';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { createRedis } from './redis-connection';

/**
 * Token buckets in Redis, so every process shares one limit: provider accounts (SMPP routes,
 * shared by all workers) and API keys (shared by all api processes). Capacity is one second of
 * the rate; it refills continuously. Answers 0 when the units were taken, else how many
 * milliseconds until they could be.
 */
const TAKE = `
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local units = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= units then
  tokens = tokens - units
else
  wait = math.ceil((units - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', key, 60000)
return wait
`;

/** The script as a command: ioredis sends its SHA (EVALSHA), and the body only when Redis lacks it. */
type WithTake = IORedis & { tsunaguTake(key: string, rate: number, units: number, now: number): Promise<number> };

@Injectable()
export class TokenBucket implements OnModuleDestroy {
  private redis: WithTake | null = null;

  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  async take(bucket: string, perSecond: number, units = 1): Promise<number> {
    if (!this.redis) {
      const redis = createRedis(this.config.redisUrl);
      redis.defineCommand('tsunaguTake', { numberOfKeys: 1, lua: TAKE });
      this.redis = redis as WithTake;
    }
    // A request larger than one second's budget still goes, alone, once the bucket is full.
    const wait = await this.redis.tsunaguTake(`${this.config.redisPrefix}:bucket:${bucket}`, perSecond, Math.min(units, perSecond), Date.now());
    return Number(wait);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}

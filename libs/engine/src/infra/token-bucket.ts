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

/**
 * How long a take may wait on Redis. Redis answers in well under a millisecond; a take still
 * unanswered after this means Redis is away (the client queues commands while it reconnects).
 * Bounded because callers hold things while they wait: a send holds its message's row lock, and
 * in a shared transaction (`TxGroups`) every member's.
 */
export const BUCKET_TIMEOUT_MS = 250;

/** Redis did not answer a take in time: the caller decides (a send waits and retries; the api admits). */
export class BucketUnavailable extends Error {
  constructor(readonly bucket: string) {
    super(`token bucket ${bucket}: Redis did not answer within ${BUCKET_TIMEOUT_MS} ms`);
    this.name = 'BucketUnavailable';
  }
}

/** The script as a command: ioredis sends its SHA (EVALSHA), and the body only when Redis lacks it. */
type WithTake = IORedis & { tsunaguTake(key: string, rate: number, units: number, now: number): Promise<number> };

@Injectable()
export class TokenBucket implements OnModuleDestroy {
  private redis: WithTake | null = null;

  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  /** Throws `BucketUnavailable` when Redis does not answer within `timeoutMs`. */
  async take(bucket: string, perSecond: number, units = 1, timeoutMs = BUCKET_TIMEOUT_MS): Promise<number> {
    if (!this.redis) {
      const redis = createRedis(this.config.redisUrl);
      redis.defineCommand('tsunaguTake', { numberOfKeys: 1, lua: TAKE });
      this.redis = redis as WithTake;
    }
    // A request larger than one second's budget still goes, alone, once the bucket is full.
    const answer = this.redis.tsunaguTake(`${this.config.redisPrefix}:bucket:${bucket}`, perSecond, Math.min(units, perSecond), Date.now());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BucketUnavailable(bucket)), timeoutMs);
    });
    // A take answered after the timeout spends its units unused: the limit errs on the safe side.
    answer.catch(() => undefined);
    try {
      return Number(await Promise.race([answer, late]));
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import IORedis from 'ioredis';
import { TIMED_OUT, within } from '@tsunagu/core';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { EngineRedis } from './engine-redis';

/**
 * Token buckets in Redis, so every process shares one limit: provider accounts (SMPP routes,
 * shared by all workers) and API keys (shared by all api processes). Capacity is one second of
 * the rate; it refills continuously. For each take, in order, answers 0 when its units were
 * taken, else how many milliseconds until they could be. One call carries every take of one
 * bucket that a process made in one turn of its event loop: the same answers as one call each
 * at that instant, in one round trip (under load, an api process otherwise spent a Redis round
 * trip, and a wake-up of Redis, on every request).
 */
const TAKE = `
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - at) * rate / 1000)
local waits = {}
for i = 3, #ARGV do
  local units = tonumber(ARGV[i])
  if tokens >= units then
    tokens = tokens - units
    waits[#waits + 1] = 0
  else
    waits[#waits + 1] = math.ceil((units - tokens) * 1000 / rate)
  end
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', key, 60000)
return waits
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
type WithTake = IORedis & { tsunaguTake(key: string, rate: number, now: number, ...units: number[]): Promise<number[]> };

/** Takes of one bucket waiting for the end of this turn. */
interface PendingTakes {
  key: string;
  perSecond: number;
  units: number[];
  answers: Array<{ resolve: (wait: number) => void; reject: (err: unknown) => void }>;
}

@Injectable()
export class TokenBucket {
  /** By bucket and rate: a bucket taken at two rates in one turn keeps them apart, as two calls would. */
  private pending = new Map<string, PendingTakes>();

  constructor(
    @Inject(TSUNAGU_CONFIG) private readonly config: Pick<TsunaguConfig, 'redisPrefix'>,
    private readonly redis: EngineRedis,
  ) {}

  /** Throws `BucketUnavailable` when Redis does not answer within `timeoutMs`. */
  async take(bucket: string, perSecond: number, units = 1, timeoutMs = BUCKET_TIMEOUT_MS): Promise<number> {
    // A request larger than one second's budget still goes, alone, once the bucket is full.
    const answer = this.enqueue(`${this.config.redisPrefix}:bucket:${bucket}`, perSecond, Math.min(units, perSecond));
    // A take answered after the timeout spends its units unused: the limit errs on the safe side.
    const wait = await within(answer, timeoutMs);
    if (wait === TIMED_OUT) throw new BucketUnavailable(bucket);
    return wait;
  }

  /**
   * Queues a take for the end of this turn (`setImmediate`: after the poll phase, so the takes of
   * every request that arrived in it go together). A lone take waits for nothing but the rest of
   * the turn it was made in.
   */
  private enqueue(key: string, perSecond: number, units: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.pending.size === 0) setImmediate(() => this.flush());
      const id = `${perSecond} ${key}`;
      let group = this.pending.get(id);
      if (!group) {
        group = { key, perSecond, units: [], answers: [] };
        this.pending.set(id, group);
      }
      group.units.push(units);
      group.answers.push({ resolve, reject });
    });
  }

  private flush(): void {
    const groups = [...this.pending.values()];
    this.pending.clear();
    const redis = this.client();
    const now = Date.now();
    for (const group of groups) {
      redis.tsunaguTake(group.key, group.perSecond, now, ...group.units).then(
        (waits) => group.answers.forEach((a, i) => a.resolve(Number(waits[i]))),
        (err: unknown) => group.answers.forEach((a) => a.reject(err)),
      );
    }
  }

  private client(): WithTake {
    const redis = this.redis.client() as Partial<WithTake> & IORedis;
    // Defined once per client: the client is shared, and made again after a shutdown.
    if (!redis.tsunaguTake) redis.defineCommand('tsunaguTake', { numberOfKeys: 1, lua: TAKE });
    return redis as WithTake;
  }
}

import { JobsOptions } from 'bullmq';

/**
 * A job held by a worker that was killed is taken back after the lock lapses. BullMQ's 30 s
 * default left fallbacks up to 80 s late in the chaos soak; a 10 s lock (renewed every 5 s while
 * the job runs) and a 5 s stall check bound that to ~15 s.
 */
export const STALL_OPTIONS = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  // Set on the workers rather than on each job: a pending job carries its options in Redis, and
  // without these a fallback timer stays under 1 KB. Done jobs go (PostgreSQL holds the record);
  // the last failures stay for operators.
  removeOnComplete: { count: 0 },
  removeOnFail: { count: 5000 },
} as const;

/** Exponential backoff with jitter, so a provider outage is not met by a synchronized stampede. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
};

/** Sends: retries are for `retryable` channel errors only; the engine counts them on the attempt. */
export const SEND_JOB_OPTIONS: JobsOptions = {
  ...DEFAULT_JOB_OPTIONS,
  attempts: 6,
  backoff: { type: 'provider', delay: 1000 },
};

/** Delay for the `provider` backoff: the provider's Retry-After when it gave one, else exponential with jitter. */
export function providerBackoff(attemptsMade: number, err: unknown): number {
  const retryAfter = (err as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (typeof retryAfter === 'number' && retryAfter > 0) return Math.min(retryAfter, 5 * 60_000);
  const base = 1000 * 2 ** Math.max(0, attemptsMade - 1);
  return Math.min(base, 60_000) * (0.5 + Math.random() * 0.5);
}

import { JobsOptions } from 'bullmq';

/** Exponential backoff with jitter, so a provider outage is not met by a synchronized stampede. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: { count: 5000 },
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

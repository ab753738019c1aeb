import { QUEUES, jobIds } from '@tsunagu/jobs';
import type { Tx } from './tx';
import { NOTIFY } from './write-batch';

export interface OutboxJob {
  queue: string;
  name: string;
  jobId: string;
  payload: Record<string, string | number>;
  /** Run no earlier than this (fallback timers, scheduled sends). */
  availableAt?: Date;
}

/** An attempt's send job, on its channel's queue, deduped by the attempt id. */
export function sendJob(channel: string, attemptId: string, availableAt?: Date): OutboxJob {
  return { queue: QUEUES.send(channel), name: 'send', jobId: jobIds.send(attemptId), payload: { attemptId }, availableAt };
}

/**
 * A callback's job for its next try, deduped by the callback and the tries it has made; `sooner`
 * for the same try brought forward beside a delayed one (both name it; the second finds it made).
 */
export function callbackJob(callbackId: string, tries: number, opts: { availableAt?: Date; sooner?: boolean } = {}): OutboxJob {
  const jobId = opts.sooner ? jobIds.callbackSooner(callbackId, tries) : jobIds.callback(callbackId, tries);
  return { queue: QUEUES.callback, name: 'callback', jobId, payload: { callbackId, tries }, availableAt: opts.availableAt };
}

/** Outbox rows per statement: five parameters each, well under PostgreSQL's 65,535. */
const JOBS_PER_STATEMENT = 1000;

/**
 * Writes jobs in the caller's transaction: they exist exactly when the rows they act on do.
 * The relay moves them to BullMQ; the NOTIFY sent with them wakes it at once instead of at its
 * next poll. Thousands at once (callbacks brought forward or recovered) go as several statements.
 */
export function writeOutbox(tx: Tx, jobs: OutboxJob[]): void {
  for (let i = 0; i < jobs.length; i += JOBS_PER_STATEMENT) {
    const values: unknown[] = [];
    const rows = jobs.slice(i, i + JOBS_PER_STATEMENT).map((job, j) => {
      values.push(job.queue, job.name, job.jobId, JSON.stringify(job.payload), job.availableAt ?? new Date());
      const o = j * 5;
      return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}::jsonb, $${o + 5})`;
    });
    tx.write(`INSERT INTO outbox (queue, name, job_id, payload, available_at) VALUES ${rows.join(', ')}`, values, { notify: NOTIFY.outbox });
  }
}

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
 * Writes jobs in the caller's transaction: they exist exactly when the rows they act on do.
 * The relay moves them to BullMQ; the NOTIFY sent with them wakes it at once instead of at its
 * next poll.
 */
export function writeOutbox(tx: Tx, jobs: OutboxJob[]): void {
  if (jobs.length === 0) return;
  const values: unknown[] = [];
  const rows = jobs.map((job, i) => {
    values.push(job.queue, job.name, job.jobId, JSON.stringify(job.payload), job.availableAt ?? new Date());
    const o = i * 5;
    return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}::jsonb, $${o + 5})`;
  });
  tx.write(`INSERT INTO outbox (queue, name, job_id, payload, available_at) VALUES ${rows.join(', ')}`, values, { notify: NOTIFY.outbox });
}

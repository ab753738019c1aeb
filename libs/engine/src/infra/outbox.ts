import { EntityManager } from 'typeorm';

export interface OutboxJob {
  queue: string;
  name: string;
  jobId: string;
  payload: Record<string, string>;
  /** Run no earlier than this (fallback timers, scheduled sends). */
  availableAt?: Date;
}

/**
 * Writes jobs in the caller's transaction: they exist exactly when the rows they act on do.
 * The relay moves them to BullMQ; NOTIFY wakes it at once instead of at its next poll.
 */
export async function writeOutbox(manager: EntityManager, jobs: OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const values: unknown[] = [];
  const rows = jobs.map((job, i) => {
    values.push(job.queue, job.name, job.jobId, JSON.stringify(job.payload), job.availableAt ?? new Date());
    const o = i * 5;
    return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}::jsonb, $${o + 5})`;
  });
  // One round trip: the rows and the wake-up for the relay.
  await manager.query(
    `WITH i AS (INSERT INTO outbox (queue, name, job_id, payload, available_at) VALUES ${rows.join(', ')} RETURNING 1)
     SELECT pg_notify('tsunagu_outbox', '') FROM (SELECT 1 FROM i LIMIT 1) AS one`,
    values,
  );
}

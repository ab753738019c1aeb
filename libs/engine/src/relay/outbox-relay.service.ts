import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { JobsOptions } from 'bullmq';
import { DataSource } from 'typeorm';
import { SEND_JOB_OPTIONS } from '@tsunagu/jobs';
import { JobQueues } from '../infra/job-queues.service';
import { inTx } from '../infra/tx';
import { WakeableLoop } from '../infra/wakeable-loop';
import { WorkListener } from '../infra/work-listener';
import { NOTIFY } from '../infra/write-batch';

const BATCH = 500;
/** The fallback when a NOTIFY is missed (a reconnect, another process's commit). */
const POLL_MS = 250;

interface OutboxRow {
  id: string;
  queue: string;
  name: string;
  job_id: string;
  payload: Record<string, unknown>;
  available_at: Date;
}

/**
 * Moves committed outbox rows (sends, callbacks) to BullMQ. Rows are deleted in the same
 * transaction that published them, so a crash between the two republishes (deduped by job id)
 * rather than loses.
 * A NOTIFY after each commit that leaves a row wakes it; the poll is the fallback (`WakeableLoop`).
 */
@Injectable()
export class OutboxRelayService implements OnModuleDestroy {
  private readonly log = new Logger(OutboxRelayService.name);
  private readonly loop = new WakeableLoop(
    async () => {
      while ((await this.drainOnce()) === BATCH) {
        /* keep going while full batches come back */
      }
    },
    (err) => this.log.warn({ err: err.message }, 'outbox relay could not publish; will retry'),
  );

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: JobQueues,
    private readonly listener: WorkListener,
  ) {}

  start(): Promise<void> {
    return this.loop.start(this.listener, NOTIFY.outbox, POLL_MS);
  }

  /**
   * Two round trips: BEGIN with a DELETE … RETURNING of a batch, then COMMIT once BullMQ has the
   * jobs. A crash or a Redis error before the COMMIT rolls the delete back: republished later,
   * deduped by job id, never lost.
   */
  async drainOnce(): Promise<number> {
    return inTx(this.db, async (tx) => {
      const rows = await tx.query<OutboxRow>(
        `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
         RETURNING id, queue, name, job_id, payload, available_at`,
      );
      if (rows.length === 0) return 0;
      const byQueue = new Map<string, OutboxRow[]>();
      for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
      const now = Date.now();
      await Promise.all(
        [...byQueue].map(([queue, list]) =>
          this.queues.get(queue).addBulk(
            list.map((row) => ({
              name: row.name,
              data: row.payload,
              opts: {
                ...(queue.startsWith('send-') ? SEND_JOB_OPTIONS : {}),
                jobId: row.job_id,
                delay: Math.max(0, new Date(row.available_at).getTime() - now),
              } as JobsOptions,
            })),
          ),
        ),
      );
      return rows.length;
    });
  }

  onModuleDestroy(): void {
    this.loop.stop();
  }
}

import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { JobsOptions } from 'bullmq';
import { DataSource } from 'typeorm';
import { SEND_JOB_OPTIONS } from '@tsunagu/jobs';
import { JobQueues } from '../infra/job-queues.service';
import { inTx } from '../infra/tx';
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
 * LISTEN/NOTIFY wakes it immediately; the poll is the fallback when a notification is missed.
 */
@Injectable()
export class OutboxRelayService implements OnModuleDestroy {
  private readonly log = new Logger(OutboxRelayService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: JobQueues,
    private readonly listener: WorkListener,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.listener.subscribe(NOTIFY.outbox, () => void this.kick());
    await this.listener.start();
    this.timer = setInterval(() => void this.kick(), POLL_MS);
    void this.kick();
  }

  /** Coalesces wake-ups: one drain at a time, and one more if woken during it. */
  async kick(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        while ((await this.drainOnce()) === BATCH) {
          /* keep going while full batches come back */
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'outbox relay could not publish; will retry');
    } finally {
      this.running = false;
    }
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
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}

import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { QUEUES, SEND_JOB_OPTIONS, jobIds } from '@tsunagu/jobs';
import { ParkedEvents } from '../events/parked-events';
import { JobQueues } from '../infra/job-queues.service';

const LIMIT = 1000;
/**
 * A `submitting` attempt is left this long before it counts as interrupted: longer than any
 * provider call may take (an SMPP window wait plus its 30 s submit timeout). A direct send has no
 * job for the queue to dedupe against, so re-creating one while its call is still in flight would
 * settle a live send as interrupted.
 */
const SUBMITTING_GRACE_SECONDS = 60;

/**
 * PostgreSQL is the truth; Redis only holds work in motion. This puts back any job Redis lost (a
 * restart without persistence, FLUSHALL, an eviction) or never had (a direct send whose worker
 * died mid-call): pending and interrupted sends, and pending callbacks. Timers
 * and wake-ups are not in Redis at all (`DueDispatcher` claims them from messages.due_at). Every processor re-reads its row, so a re-created job that was not lost
 * after all does nothing twice.
 */
@Injectable()
export class ReconcilerService implements OnModuleDestroy {
  private readonly log = new Logger(ReconcilerService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: JobQueues,
    private readonly parked: ParkedEvents,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.log.warn({ err: (err as Error).message }, 'reconcile failed')), this.config.worker.reconcileIntervalMs);
  }

  async runOnce(): Promise<{ send: number; callback: number; orphansExpired: number }> {
    if (this.running) return { send: 0, callback: 0, orphansExpired: 0 };
    this.running = true;
    try {
      const sends: { id: string; channel: string }[] = await this.db.query(
        `SELECT id, channel FROM attempts
         WHERE status IN ('pending', 'submitting')
           AND updated_at < now() - CASE WHEN status = 'pending' THEN interval '30 seconds' ELSE interval '${SUBMITTING_GRACE_SECONDS} seconds' END
         LIMIT ${LIMIT}`,
      );
      for (const s of sends) {
        await this.queues.add(QUEUES.send(s.channel), 'send', { attemptId: s.id }, { ...SEND_JOB_OPTIONS, jobId: jobIds.send(s.id) });
      }
      const callbacks: { id: string; tries: number }[] = await this.db.query(
        `SELECT id, tries FROM callbacks WHERE status = 'pending' AND next_attempt_at < now() - interval '30 seconds' LIMIT ${LIMIT}`,
      );
      if (callbacks.length) {
        await this.queues.get(QUEUES.callback).addBulk(
          callbacks.map((c) => ({ name: 'callback', data: { callbackId: c.id, tries: c.tries }, opts: { jobId: jobIds.callback(c.id, c.tries) } })),
        );
      }
      await this.parked.releaseMatched();
      // Counted in tsunagu_orphan_receipts_expired_total by the expiry itself; said here too, as
      // a receipt for an id no submit answered with means ids are not matching (BAD-INPUTS 39).
      const expired = await this.parked.expire();
      const orphansExpired = Object.values(expired).reduce((sum, n) => sum + n, 0);
      if (orphansExpired) this.log.warn({ expired }, 'orphan receipts expired: no submit answered with their ids within the TTL');
      return { send: sends.length, callback: callbacks.length, orphansExpired };
    } finally {
      this.running = false;
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { AdvanceService } from '../dispatch/advance.service';
import { rowsOf } from '../infra/rows-of';
import { WorkListener } from '../infra/work-listener';

/**
 * A claimed message is leased for this long: if the worker holding it dies, another one runs it
 * when the lease lapses. Longer than any advance takes (provider calls time out well before).
 */
const LEASE_SECONDS = 10;

interface Claimed {
  id: string;
  /** New, or an RCS attempt past its deadline: the advance will likely call a provider first. */
  peek: boolean;
}

/**
 * Runs the policy for every message whose `due_at` has come: new messages, fallback deadlines,
 * quiet hours' end, and wake-ups after a report (`wakeNow`). The row is the timer, so nothing is
 * kept in Redis and nothing has to be re-created after Redis loses data; timers fire on time
 * while Redis is down. Each worker claims due rows in sets with `FOR UPDATE SKIP LOCKED`, leasing
 * them (due_at moves `LEASE_SECONDS` ahead), and runs them in-process, at most `concurrency` at
 * once. The advance writes the next `due_at` (or clears it) under the message lock.
 */
@Injectable()
export class DueDispatcher implements OnModuleDestroy {
  private readonly log = new Logger(DueDispatcher.name);
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private again = false;
  private stopped = true;
  /** The last claim filled every free slot: more may be due, so a finished run claims again. */
  private backlog = false;
  private failing = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly advance: AdvanceService,
    private readonly listener: WorkListener,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.listener.subscribe(() => void this.kick());
    await this.listener.start();
    this.timer = setInterval(() => void this.kick(), this.config.worker.duePollMs);
    void this.kick();
  }

  /** Coalesces wake-ups: one claim at a time, and one more if woken during it. */
  async kick(): Promise<void> {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const free = this.config.worker.concurrency - this.running.size;
          if (free <= 0 || this.stopped) break;
          const rows = await this.claim(free);
          for (const row of rows) this.run(row);
          this.backlog = rows.length === free;
          if (!this.backlog) break;
        }
      } while (this.again && !this.stopped);
      if (this.failing) this.log.log('due messages claimed again');
      this.failing = false;
    } catch (err) {
      // PostgreSQL is down or restarting: say so once, keep polling.
      if (!this.failing) this.log.warn({ err: (err as Error).message }, 'cannot claim due messages; retrying every poll');
      this.failing = true;
    } finally {
      this.claiming = false;
    }
  }

  private async claim(limit: number): Promise<Claimed[]> {
    // Never a message this process is already running: its lease has not lapsed, and a wake-up
    // that arrives meanwhile is taken when the run ends (the lock would serialize them anyway).
    const busy = [...this.running.keys()];
    const result: unknown = await this.db.query(
      `UPDATE messages m SET due_at = now() + interval '${LEASE_SECONDS} seconds'
       FROM (
         SELECT id FROM messages
         WHERE status IN ('accepted', 'dispatching') AND due_at <= now() AND NOT (id = ANY($2::uuid[]))
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ) d
       WHERE m.id = d.id
       RETURNING m.id, (m.status = 'accepted' OR EXISTS (
         SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.status = 'sent' AND a.deadline_at <= now()
       )) AS peek`,
      [limit, busy],
    );
    return rowsOf<Claimed>(result);
  }

  private run(row: Claimed): void {
    const done = this.advance
      .advance(row.id, { peekFirst: row.peek })
      .catch((err: Error) => this.log.warn({ messageId: row.id, err: err.message }, `advance failed; it runs again when its lease lapses (${LEASE_SECONDS}s)`))
      .finally(() => {
        this.running.delete(row.id);
        if (this.backlog) void this.kick();
      });
    this.running.set(row.id, done);
  }

  /** Graceful: claim nothing more, let the runs in hand finish (each ends in a commit or a lapsed lease). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }
}

import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { AdvanceService } from '../dispatch/advance.service';
import { LockedRows, MessageForDecision } from '../dispatch/locked-rows';
import { isDatabaseAway } from '../infra/database-away';
import { runScript } from '../infra/tx';
import { WakeableLoop } from '../infra/wakeable-loop';
import { WorkListener } from '../infra/work-listener';
import { NOTIFY } from '../infra/write-batch';

/**
 * A claimed message is leased for this long: if the worker holding it dies, another one runs it
 * when the lease lapses. Longer than any advance takes (provider calls time out well before).
 */
const LEASE_SECONDS = 10;
/** Claimed ahead of free slots, so under load one claim serves many runs. */
const PREFETCH_PER_SLOT = 4;

interface Claimed {
  id: string;
  /** New, or an RCS attempt past its deadline: the advance will likely call a provider first. */
  peek: boolean;
  /** The unlocked read for that look, taken for the whole claimed set in one statement. */
  peeked?: MessageForDecision | null;
}

/**
 * Runs the policy for every message whose `due_at` has come: new messages, fallback deadlines,
 * quiet hours' end, and wake-ups after a report (`wakeNow`). The row is the timer, so nothing is
 * kept in Redis and nothing has to be re-created after Redis loses data; timers fire on time
 * while Redis is down. Each worker claims due rows in sets with `FOR UPDATE SKIP LOCKED`, leasing
 * them (due_at moves `LEASE_SECONDS` ahead), and runs them in-process, at most `dispatchConcurrency` at
 * once (claiming a few sets ahead under load). The advance writes the next `due_at` (or clears it) under the message lock.
 */
@Injectable()
export class DueDispatcher implements OnModuleDestroy {
  private readonly log = new Logger(DueDispatcher.name);
  private readonly running = new Map<string, Promise<void>>();
  /** Claimed (leased) and waiting for a free slot. */
  private ready: Claimed[] = [];
  /** The last claim filled every free slot: more may be due, so a finished run claims again. */
  private backlog = false;
  private failing = false;
  /**
   * Runs cut short because PostgreSQL went away. Their lease is still ours and would hold them
   * for up to `LEASE_SECONDS`; they run again as soon as a claim succeeds, so a fallback that was
   * in hand when the database restarted fires when it is back, not ten seconds later.
   */
  private readonly interrupted = new Set<string>();
  private readonly loop = new WakeableLoop(
    () => this.claimWhileRoom(),
    (err) => {
      // PostgreSQL is down or restarting: say so once, keep polling.
      if (!this.failing) this.log.warn({ err: err.message }, 'cannot claim due messages; retrying every poll');
      this.failing = true;
    },
  );

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly advance: AdvanceService,
    private readonly locked: LockedRows,
    private readonly listener: WorkListener,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  start(): Promise<void> {
    return this.loop.start(this.listener, NOTIFY.due, this.config.worker.duePollMs);
  }

  kick(): Promise<void> {
    return this.loop.kick();
  }

  /** Claims sets of due messages while slots are free (a few sets ahead under load). */
  private async claimWhileRoom(): Promise<void> {
    for (;;) {
      this.startReady();
      const room = this.config.worker.dispatchConcurrency * PREFETCH_PER_SLOT - this.running.size - this.ready.length;
      if (room <= 0 || this.loop.isStopped) break;
      const claimed = await this.claim(room);
      const rows = [...this.resumeInterrupted(claimed), ...claimed];
      const peeked = await this.locked.peekMany(rows.filter((r) => r.peek).map((r) => r.id));
      for (const row of rows) if (row.peek) row.peeked = peeked.get(row.id) ?? null;
      this.ready.push(...rows);
      this.startReady();
      this.backlog = rows.length === room;
      if (!this.backlog) break;
    }
    if (this.failing) this.log.log('due messages claimed again');
    this.failing = false;
  }

  /**
   * Taken once a claim has succeeded (the database is back); while claims fail they are kept.
   * They read afresh (`peek`), as a new claim would. One whose lease lapsed meanwhile may be in
   * `claimed` already.
   */
  private resumeInterrupted(claimed: Claimed[]): Claimed[] {
    if (this.interrupted.size === 0) return [];
    const ids = [...this.interrupted].filter((id) => !this.running.has(id) && !this.ready.some((r) => r.id === id) && !claimed.some((r) => r.id === id));
    this.interrupted.clear();
    return ids.map((id) => ({ id, peek: true }));
  }

  private startReady(): void {
    while (this.ready.length && this.running.size < this.config.worker.dispatchConcurrency && !this.loop.isStopped) {
      const row = this.ready.shift()!;
      if (!this.running.has(row.id)) this.run(row);
    }
  }

  /**
   * A lease is not worth an fsync: lost in a crash, the row is simply due again. So the claim
   * commits with synchronous_commit off, and BEGIN, SET, UPDATE and COMMIT go in one round trip.
   */
  private async claim(limit: number): Promise<Claimed[]> {
    // Never a message this process is already running or holding: its lease has not lapsed, and
    // a wake-up that arrives meanwhile is taken when the run ends (the lock would serialize them).
    const busy = [...this.running.keys(), ...this.ready.map((r) => r.id)];
    const update = {
      sql: `UPDATE messages m SET due_at = now() + interval '${LEASE_SECONDS} seconds'
       FROM (
         SELECT id FROM messages
         WHERE status IN ('accepted', 'dispatching') AND due_at <= now() AND NOT (id = ANY($2::uuid[]))
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ) d
       WHERE m.id = d.id
       RETURNING m.id, (m.status = 'accepted' OR EXISTS (
         SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.status = 'sent' AND a.deadline_at <= now()
       )) AS peek`,
      params: [limit, busy],
    };
    return runScript<Claimed>(this.db, ['BEGIN', 'SET LOCAL synchronous_commit = off', update, 'COMMIT'], 2);
  }

  private run(row: Claimed): void {
    const done = this.advance
      .advance(row.id, { peekFirst: row.peek, peeked: row.peeked })
      .catch((err: Error) => {
        if (isDatabaseAway(err) && !this.loop.isStopped) {
          this.interrupted.add(row.id);
          this.log.warn({ messageId: row.id, err: err.message }, 'advance cut short: the database is away; it runs again once a claim succeeds');
        } else {
          this.log.warn({ messageId: row.id, err: err.message }, `advance failed; it runs again when its lease lapses (${LEASE_SECONDS}s)`);
        }
      })
      .finally(() => {
        this.running.delete(row.id);
        this.startReady();
        if (this.backlog && this.ready.length === 0) void this.kick();
      });
    this.running.set(row.id, done);
  }

  /**
   * Graceful: claim nothing more, hand back what was claimed but not started (due at once, for
   * another worker), let the runs in hand finish, and the direct sends they started.
   */
  async onModuleDestroy(): Promise<void> {
    this.loop.stop();
    const unstarted = [...this.ready.splice(0).map((r) => r.id), ...this.interrupted];
    this.interrupted.clear();
    if (unstarted.length) {
      await this.db
        .query(`UPDATE messages SET due_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('accepted', 'dispatching')`, [unstarted])
        .catch(() => undefined);
    }
    await Promise.allSettled([...this.running.values()]);
    // Sends those runs started in-process are in hand too: recorded before SMPP unbinds.
    await this.advance.drainSends();
  }
}

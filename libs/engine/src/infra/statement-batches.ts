import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { BatchQueue } from './batch-queue';
import { Statement } from './prepared-statements';
import { runScriptResults } from './tx';
import { NotifyChannel, notifyAfterCommit } from './write-batch';

interface BatchJob {
  statement: Statement;
  order: string;
  notify: readonly NotifyChannel[];
  resolve(rows: unknown[]): void;
  reject(err: unknown): void;
}

/**
 * One-statement transactions that arrive together, committed together: `BEGIN; s1; …; sN;
 * COMMIT` and their wake-ups in one round trip, one commit and one WAL flush for all of them.
 * The api's accepts are this shape (one statement, durable before the 202), and on this kind of
 * machine their round trip and commit cost PostgreSQL more than the statement itself.
 *
 * Statements run in `order` (the caller's lock order: rows two batches both lock are taken in
 * the same order, so batches do not deadlock each other). When a batch fails, whatever the
 * reason, each of its statements runs again in a transaction of its own, in turn, so one bad
 * statement fails alone. A statement must therefore be safe to run twice: a batch whose
 * connection was lost as it committed may have committed. (An accept is: its idempotency key
 * claims nothing the second time, and the caller answers from the stored response.)
 *
 * Batching follows load: a statement runs at once when fewer than `maxInFlight` batches are
 * running, alone if nothing came with it; the statements that arrive meanwhile make the next batch.
 */
export class StatementBatcher {
  private readonly batches: BatchQueue<BatchJob>;

  constructor(
    private readonly db: DataSource,
    private readonly size: number,
    maxInFlight: number,
  ) {
    this.batches = new BatchQueue<BatchJob>(size, maxInFlight, (jobs) => (jobs.length === 1 ? this.alone(jobs[0]) : this.batch(jobs)));
  }

  run<R>(statement: Statement, { order, notify = [] }: { order: string; notify?: readonly NotifyChannel[] }): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      const job: BatchJob = { statement, order, notify, resolve: resolve as (rows: unknown[]) => void, reject };
      if (this.size <= 1) void this.alone(job);
      else this.batches.push(job);
    });
  }

  private async batch(jobs: BatchJob[]): Promise<void> {
    jobs.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    let results: { rows: unknown[] }[];
    try {
      results = await runScriptResults(this.db, [
        'BEGIN',
        ...jobs.map((j) => j.statement),
        'COMMIT',
        ...notifyAfterCommit(jobs.flatMap((j) => j.notify)),
      ]);
    } catch {
      // Rolled back (the pool discards the connection with its failed transaction): each alone,
      // so the statement at fault hears its own error and the others commit. One after another,
      // inside this batch's in-flight slot: a failing batch never takes more connections than
      // the batch did, however large it was.
      for (const j of jobs) await this.alone(j);
      return;
    }
    jobs.forEach((j, i) => j.resolve(results[1 + i].rows));
  }

  private async alone(job: BatchJob): Promise<void> {
    try {
      const results = await runScriptResults(this.db, ['BEGIN', job.statement, 'COMMIT', ...notifyAfterCommit(job.notify)]);
      job.resolve(results[1].rows);
    } catch (err) {
      job.reject(err);
    }
  }
}

/**
 * The api's accepts in shared commits (`StatementBatcher`): as many as `TSUNAGU_TX_GROUP_SIZE`
 * to a batch, `TSUNAGU_TX_GROUPS_IN_FLIGHT` batches at once, the same settings as the worker's
 * shared transactions.
 */
@Injectable()
export class StatementBatches {
  private readonly batcher: StatementBatcher;

  constructor(@InjectDataSource() db: DataSource, @Inject(TSUNAGU_CONFIG) config: TsunaguConfig) {
    this.batcher = new StatementBatcher(db, config.database.txGroupSize, config.database.txGroupsInFlight);
  }

  run<R>(statement: Statement, opts: { order: string; notify?: readonly NotifyChannel[] }): Promise<R[]> {
    return this.batcher.run<R>(statement, opts);
  }
}

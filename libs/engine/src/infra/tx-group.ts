import type { DataSource } from 'typeorm';
import { BatchQueue } from './batch-queue';
import { Statement } from './prepared-statements';
import { DeferredWrites, PgClient, PgResult, WorkTx, checkout, inTx, runOnClient } from './tx';
import { NotifyChannel, notifyAfterCommit } from './write-batch';

export type Work<T> = (tx: WorkTx) => Promise<T>;
export type After<T> = (tx: WorkTx) => T;

export interface GroupJob<T = unknown> {
  fn: Work<T>;
  after?: After<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** Another member of the same shared transaction holds this message: the member runs again after it. */
export class HeldByGroup extends Error {
  constructor(readonly key: string) {
    super(`${key} is held by another member of this shared transaction`);
    this.name = 'HeldByGroup';
  }
}

/** PostgreSQL answered with an error, so the transaction surely did not commit and the connection is sound. */
function answeredByPostgres(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}

type MemberState = 'running' | 'done' | 'failed';

/** One member's view of the shared transaction: a `WorkTx` whose reads wait for the group's next round trip. */
class MemberTx extends DeferredWrites implements WorkTx {
  state: MemberState = 'running';
  result: unknown;
  error: unknown;
  /** The statements this member waits on: its writes so far, then its read. */
  request: { statements: Statement[]; resolve(rows: unknown[]): void; reject(err: unknown): void } | null = null;
  /** Some of its writes were sent: they cannot be taken back without the whole group's. */
  sentWrites = false;
  /** Still running when a round failed: whatever it failed with, it runs again. */
  interrupted = false;
  final: { statement: Statement; rows: unknown[] } | null = null;

  constructor(
    private readonly group: Group,
    readonly job: GroupJob,
  ) {
    super();
  }

  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    if (this.group.aborted) return Promise.reject(this.group.aborted);
    const statements = [...this.takeWrites(), { sql, params }];
    return new Promise<R[]>((resolve, reject) => {
      this.request = { statements, resolve: resolve as (rows: unknown[]) => void, reject };
      this.group.pump();
    });
  }

  own(key: string): void {
    this.group.own(key, this);
  }

  afterCommit(sql: string, params: readonly unknown[]): void {
    this.final = { statement: { sql, params }, rows: [] };
  }

  afterCommitRows<R>(): R[] {
    return (this.final?.rows ?? []) as R[];
  }
}

/**
 * Several engine transactions run as one PostgreSQL transaction, in lockstep: whenever every
 * member is waiting on a read (or done), the members' pending writes and reads go together in one
 * round trip, and the results go back to each. The commit carries every member's last writes.
 *
 * Why: on this kind of machine a round trip and a commit cost PostgreSQL and the worker more CPU
 * than the small statements in them (a micro-benchmark: ~120 µs of PostgreSQL per
 * lock-read-write-commit alone, ~30 µs sixteen to a round trip), and the worker's transitions
 * are exactly that shape.
 *
 * The members stay independent: each locks its own message (`own`), a second member that locks
 * the same one is stopped before it writes and runs again after the group, and a member that
 * fails before any of its writes went out fails alone. Anything else that goes wrong (a member
 * failing after its writes went out, PostgreSQL refusing a statement, a deadlock with another
 * group) rolls the group back and runs every member again in a transaction of its own, so no
 * member's result is ever given before its writes are committed.
 */
class Group {
  aborted: Error | null = null;
  private readonly members: MemberTx[];
  private readonly owners = new Map<string, MemberTx>();
  private client: PgClient | null = null;
  private release: (err?: unknown) => void = () => undefined;
  private begun = false;
  private busy = false;
  private ended = false;
  private finished!: () => void;

  constructor(
    private readonly db: DataSource,
    jobs: GroupJob[],
    private readonly requeue: (job: GroupJob) => void,
  ) {
    this.members = jobs.map((job) => new MemberTx(this, job));
  }

  async run(): Promise<void> {
    try {
      [this.client, this.release] = await checkout(this.db);
    } catch (err) {
      for (const m of this.members) m.job.reject(err);
      return;
    }
    const finished = new Promise<void>((resolve) => (this.finished = resolve));
    for (const m of this.members) {
      // Each member starts in its own microtask chain; the group moves when all of them wait or end.
      void Promise.resolve()
        .then(() => m.job.fn(m))
        .then(
          (result) => {
            m.state = 'done';
            m.result = result;
          },
          (err: unknown) => {
            m.state = 'failed';
            m.error = err;
          },
        )
        .finally(() => this.pump());
    }
    await finished;
  }

  own(key: string, member: MemberTx): void {
    const holder = this.owners.get(key);
    if (holder && holder !== member) throw new HeldByGroup(key);
    this.owners.set(key, member);
  }

  /** Moves the group on once no member is still computing. */
  pump(): void {
    if (this.busy || this.ended) return;
    const running = this.members.filter((m) => m.state === 'running');
    if (running.some((m) => !m.request)) return;
    if (this.aborted) {
      if (running.length === 0) void this.end(this.aborted);
      return;
    }
    if (running.length) void this.round(running);
    else void this.commit();
  }

  private async round(waiting: MemberTx[]): Promise<void> {
    this.busy = true;
    const requests = waiting.map((m) => {
      const request = m.request!;
      m.request = null;
      if (request.statements.length > 1) m.sentWrites = true;
      return request;
    });
    const head = this.begun ? [] : ['BEGIN'];
    let results: PgResult[];
    try {
      results = await this.script([...head, ...requests.flatMap((r) => r.statements)]);
    } catch (err) {
      // The script's BEGIN may have run: the group rolls back whatever it opened.
      this.begun = true;
      this.busy = false;
      this.abort(err, requests);
      return;
    }
    this.begun = true;
    this.busy = false;
    let at = head.length;
    for (const r of requests) {
      at += r.statements.length;
      r.resolve(results[at - 1].rows);
    }
  }

  private async commit(): Promise<void> {
    this.busy = true;
    // A member that failed after its writes went out cannot be taken back alone.
    if (this.members.some((m) => m.state === 'failed' && m.sentWrites)) return this.end(new Error('a member failed after writing'), { rerunDone: true });
    const done = this.members.filter((m) => m.state === 'done');
    for (const m of this.members) if (m.state === 'failed') m.takeWrites();
    const writes = done.flatMap((m) => m.takeWrites());
    const channels = new Set<NotifyChannel>(done.flatMap((m) => m.takeChannels()));
    const finals = done.filter((m) => m.final);
    try {
      if (this.begun || writes.length || finals.length || channels.size) {
        const results = await this.script([
          ...(this.begun ? [] : ['BEGIN']),
          ...writes,
          'COMMIT',
          ...notifyAfterCommit(channels),
          ...finals.map((m) => m.final!.statement),
        ]);
        const first = results.length - finals.length;
        finals.forEach((m, i) => (m.final!.rows = results[first + i].rows));
      }
    } catch (err) {
      this.begun = true; // the script's own BEGIN may have run: roll back whatever it left open
      // Refused by PostgreSQL at or before the COMMIT: nothing committed (what follows the COMMIT,
      // a NOTIFY and a DELETE … RETURNING of parked receipts, is not refused short of a lost connection).
      return this.end(err, { rerunDone: answeredByPostgres(err) });
    }
    this.begun = false;
    this.release();
    this.ended = true;
    for (const m of done) this.settle(m, () => (m.job.after ? m.job.after(m) : m.result));
    for (const m of this.members) if (m.state === 'failed') this.settleFailed(m);
    this.finished();
  }

  /** A round failed: every member still waiting hears it; the group ends once all have settled. */
  private abort(err: unknown, requests: { reject(err: unknown): void }[]): void {
    this.aborted = err instanceof Error ? err : new Error(String(err));
    for (const m of this.members) if (m.state === 'running') m.interrupted = true;
    for (const r of requests) r.reject(this.aborted);
    this.pump();
  }

  /**
   * Rolls back; when PostgreSQL itself refused (the transaction surely did not commit), each
   * member that got that far runs again on its own, otherwise they hear the error.
   */
  private async end(err: unknown, { rerunDone = answeredByPostgres(err) }: { rerunDone?: boolean } = {}): Promise<void> {
    this.ended = true;
    const broken = await (this.begun ? this.client!.query('ROLLBACK') : Promise.resolve()).then(
      () => false,
      () => true,
    );
    this.release(broken ? err : undefined);
    for (const m of this.members) {
      const caught = m.state === 'done' || (m.state === 'failed' && (m.interrupted || m.sentWrites));
      if (!caught) this.settleFailed(m);
      else if (rerunDone) inTx(this.db, m.job.fn, m.job.after).then(m.job.resolve, m.job.reject);
      else m.job.reject(err);
    }
    this.finished();
  }

  private settle(m: MemberTx, value: () => unknown): void {
    try {
      m.job.resolve(value());
    } catch (err) {
      m.job.reject(err);
    }
  }

  private settleFailed(m: MemberTx): void {
    if (m.error instanceof HeldByGroup) this.requeue(m.job);
    else m.job.reject(m.error);
  }

  private script(statements: (Statement | string)[]): Promise<PgResult[]> {
    return runOnClient(this.client!, statements, this.begun);
  }
}

/**
 * The worker's transitions, grouped: calls that arrive together (in one turn of the event loop,
 * or while the groups in flight run) share one transaction of at most `size` members, and at
 * most `inFlight` such transactions run at once. Under light load a call runs alone, exactly as
 * `inTx`. A member must never wait on another `TxGroups` call: it would wait on its own group.
 */
export class TxGroupRunner {
  private readonly batches: BatchQueue<GroupJob>;

  constructor(
    private readonly db: DataSource,
    private readonly size: number,
    maxInFlight: number,
  ) {
    this.batches = new BatchQueue<GroupJob>(size, maxInFlight, (jobs) =>
      // Held by another member: first in line for the next group.
      jobs.length === 1 ? this.alone(jobs[0]) : new Group(this.db, jobs, (job) => this.batches.pushFront(job)).run(),
    );
  }

  run<T>(fn: Work<T>, after?: After<T>): Promise<T> {
    if (this.size <= 1) return inTx(this.db, fn, after);
    return new Promise<T>((resolve, reject) => this.batches.push({ fn, after, resolve, reject } as GroupJob));
  }

  private alone(job: GroupJob): Promise<void> {
    return inTx(this.db, job.fn, job.after).then(job.resolve, job.reject);
  }
}

import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PreparedStatements, Statement } from './prepared-statements';
import { rowsOf } from './rows-of';
import { inline } from './sql-literal';
import { NotifyChannel, PendingWrite, composeWrites, notifyAfterCommit } from './write-batch';

/**
 * A transaction as the engine uses it. Reads run at once; writes wait and travel together with
 * the next read or the commit. Every read first sends the writes before it, so code reads its
 * own writes exactly as if each had run when it was written.
 */
export interface Tx {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  write(sql: string, params: readonly unknown[], opts?: Pick<PendingWrite, 'rowKey' | 'notify'>): void;
  /**
   * Says this transaction holds `key` (a message it locked). Inside a shared transaction
   * (`TxGroups`) a second member locking the same message would be granted the lock its group
   * already holds, so it is stopped here and run again after the group; elsewhere a no-op.
   */
  own?(key: string): void;
}

/** The hot paths' transaction: a `Tx` with one statement after its COMMIT (see `PgTx.afterCommit`). */
export interface WorkTx extends Tx {
  afterCommit(sql: string, params: readonly unknown[]): void;
  afterCommitRows<R>(): R[];
}

export abstract class DeferredWrites {
  private pending: PendingWrite[] = [];
  private notifications = new Set<NotifyChannel>();

  write(sql: string, params: readonly unknown[], opts: Pick<PendingWrite, 'rowKey' | 'notify'> = {}): void {
    this.pending.push({ sql, params, ...opts });
    if (opts.notify) this.notifications.add(opts.notify);
  }

  /** The wake-ups the writes asked for, to send once they are committed (`notifyAfterCommit`). */
  takeNotifications(): string[] {
    return notifyAfterCommit(this.takeChannels());
  }

  /** The channels to wake, forgotten here (a shared transaction sends its members' together). */
  takeChannels(): NotifyChannel[] {
    const channels = [...this.notifications];
    this.notifications = new Set();
    return channels;
  }

  /** The writes so far, composed into statements, and forgotten. */
  takeWrites(): Statement[] {
    const statements = composeWrites(this.pending);
    this.pending = [];
    return statements;
  }
}

export type PgResult = { rows: unknown[] };

export interface PgClient {
  query(text: string, values?: readonly unknown[]): Promise<PgResult | PgResult[]>;
}

/**
 * `statements` as one simple-protocol message on `client` (repeated templates as `EXECUTE` of
 * statements prepared on it, others inlined), answering each statement's result in order.
 * `inTransaction`: a transaction is open on the client (a failed PREPARE must not abort it).
 * The one way the engine's hot paths talk to PostgreSQL: `PgTx`, `runScript` and shared transactions.
 */
export async function runOnClient(client: PgClient, statements: readonly (Statement | string)[], inTransaction: boolean): Promise<PgResult[]> {
  try {
    const texts = await PreparedStatements.render(client, statements, inTransaction);
    const result = await client.query(texts.join(';\n'));
    return Array.isArray(result) ? result : [result];
  } catch (err) {
    PreparedStatements.forgetIfLost(client, err);
    throw err;
  }
}

/**
 * On a raw pool connection: BEGIN rides with the first read, the writes with the COMMIT, so a
 * lock-decide-write transaction is two round trips. Multi-statement strings need the simple
 * protocol, hence repeated templates run as prepared statements (`PreparedStatements`) and
 * others with their literals inlined by `inline` (pg's own value conversion and escaping).
 */
export class PgTx extends DeferredWrites implements WorkTx {
  private begun = false;
  private final: { statement: Statement; rows: unknown[] } | null = null;

  constructor(private readonly client: PgClient) {
    super();
  }

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const results = await this.run([...(this.begun ? [] : ['BEGIN']), ...this.takeWrites(), { sql, params }]);
    return results[results.length - 1].rows as R[];
  }

  /**
   * One statement to run right after the COMMIT, in the same round trip and in its own implicit
   * transaction, so it sees what this one committed; its rows come from `afterCommitRows()`.
   */
  afterCommit(sql: string, params: readonly unknown[]): void {
    this.final = { statement: { sql, params }, rows: [] };
  }

  afterCommitRows<R>(): R[] {
    return (this.final?.rows ?? []) as R[];
  }

  async commit(): Promise<void> {
    const writes = this.takeWrites();
    const notify = this.takeNotifications();
    const final = this.final;
    if (!this.begun && !final && notify.length === 0) {
      // Never begun: the writes alone, which one simple-protocol message runs as one transaction.
      if (writes.length) await runOnClient(this.client, writes, false);
      return;
    }
    // The wake-ups go after the COMMIT, in their own transaction; the final statement last, in its own.
    // Until this answers, a failure leaves a transaction to roll back (ROLLBACK after a COMMIT
    // that did happen only warns).
    const results = await this.run([...(this.begun ? [] : ['BEGIN']), ...writes, 'COMMIT', ...notify, ...(final ? [final.statement] : [])]);
    this.begun = false;
    if (final) final.rows = results[results.length - 1].rows;
  }

  async rollback(): Promise<void> {
    this.takeNotifications();
    if (this.begun) await this.client.query('ROLLBACK');
    this.begun = false;
  }

  /** Runs on the connection; from here on a transaction may be open, whatever the script did. */
  private run(statements: (Statement | string)[]): Promise<PgResult[]> {
    const inTransaction = this.begun;
    this.begun = true;
    return runOnClient(this.client, statements, inTransaction);
  }
}

/** The same contract inside a TypeORM transaction, for code that also uses repositories. */
export class ManagerTx extends DeferredWrites implements Tx {
  constructor(readonly m: EntityManager) {
    super();
  }

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    await this.flush();
    return rowsOf<R>(await this.m.query(sql, [...params]));
  }

  async flush(): Promise<void> {
    const writes = this.takeWrites();
    if (writes.length) await this.m.query(writes.map((w) => inline(w.sql, w.params)).join(';\n'));
  }
}

interface PooledClient extends PgClient {
  on(event: 'error', fn: (err: Error) => void): void;
  removeListener(event: 'error', fn: (err: Error) => void): void;
}

/**
 * A connection of TypeORM's pool, held by us. pg-pool takes its own error listener off a client it
 * hands out, and a client that loses its server while idle between our queries (PostgreSQL
 * restarting during a Redis call inside a transaction) emits 'error': with no listener that kills
 * the process. So one is attached while we hold it, and a client that erred is discarded on release.
 */
export async function checkout(db: DataSource): Promise<[PgClient, (err?: unknown) => void]> {
  const [client, release] = (await (db.driver as PostgresDriver).obtainMasterConnection()) as [PooledClient, (err?: unknown) => void];
  let lost: Error | undefined;
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  return [
    client,
    (err?: unknown) => {
      client.removeListener('error', onError);
      release(err ?? lost);
    },
  ];
}

/** The hot paths' transaction: a pooled connection of TypeORM's own pool, two round trips at best. */
export async function inTx<T>(db: DataSource, fn: (tx: PgTx) => Promise<T>, after?: (tx: PgTx) => T): Promise<T> {
  const [client, release] = await checkout(db);
  const tx = new PgTx(client);
  try {
    const result = await fn(tx);
    await tx.commit();
    release();
    return after ? after(tx) : result;
  } catch (err) {
    // A connection that cannot even roll back is broken: the pool discards it.
    const broken = await tx.rollback().then(
      () => false,
      () => true,
    );
    release(broken ? err : undefined);
    throw err;
  }
}

/** A TypeORM transaction whose deferred writes are sent before it commits, and their wake-ups after. */
export async function inManagedTx<T>(db: DataSource, fn: (tx: ManagerTx) => Promise<T>): Promise<T> {
  let notify: string[] = [];
  const result = await db.transaction(async (m) => {
    const tx = new ManagerTx(m);
    const out = await fn(tx);
    await tx.flush();
    notify = tx.takeNotifications();
    return out;
  });
  if (notify.length) await runScript(db, notify, 0);
  return result;
}

/**
 * Several statements in one round trip on a pooled connection (simple protocol: templates run
 * prepared or inlined, as in `PgTx`); answers the rows of statement `rowsFrom`.
 */
export async function runScript<R>(db: DataSource, statements: (Statement | string)[], rowsFrom: number): Promise<R[]> {
  return (await runScriptResults(db, statements))[rowsFrom].rows as R[];
}

/** `runScript`, answering every statement's result in order. */
export async function runScriptResults(db: DataSource, statements: (Statement | string)[]): Promise<PgResult[]> {
  const [client, release] = await checkout(db);
  try {
    const results = await runOnClient(client, statements, false);
    release();
    return results;
  } catch (err) {
    // A failed script may have left its transaction open: the pool discards the connection.
    release(err);
    throw err;
  }
}

/** One statement outside any transaction, prepared once it repeats: the hot paths' single reads and writes. */
export async function queryOnce<R>(db: DataSource, sql: string, params: readonly unknown[] = []): Promise<R[]> {
  return runScript<R>(db, [{ sql, params }], 0);
}

import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { rowsOf } from './rows-of';
import { inline } from './sql-literal';
import { PendingWrite, composeWrites } from './write-batch';

/**
 * A transaction as the engine uses it. Reads run at once; writes wait and travel together with
 * the next read or the commit. Every read first sends the writes before it, so code reads its
 * own writes exactly as if each had run when it was written.
 */
export interface Tx {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  write(sql: string, params: readonly unknown[], opts?: Pick<PendingWrite, 'rowKey' | 'notify'>): void;
}

abstract class DeferredWrites {
  private pending: PendingWrite[] = [];

  write(sql: string, params: readonly unknown[], opts: Pick<PendingWrite, 'rowKey' | 'notify'> = {}): void {
    this.pending.push({ sql, params, ...opts });
  }

  protected takeWrites(): string[] {
    const statements = composeWrites(this.pending);
    this.pending = [];
    return statements;
  }
}

interface PgClient {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: unknown[] } | { rows: unknown[] }[]>;
}

/**
 * On a raw pool connection: BEGIN rides with the first read, the writes with the COMMIT, so a
 * lock-decide-write transaction is two round trips. Multi-statement strings need the simple
 * protocol, hence literals inlined by `inline` (pg's own value conversion and escaping).
 */
export class PgTx extends DeferredWrites implements Tx {
  private begun = false;
  private final: { sql: string; params: readonly unknown[]; rows: unknown[] } | null = null;

  constructor(private readonly client: PgClient) {
    super();
  }

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const writes = this.takeWrites();
    if (this.begun && writes.length === 0) return ((await this.client.query(sql, params)) as { rows: R[] }).rows;
    const text = [...(this.begun ? [] : ['BEGIN']), ...writes, inline(sql, params)].join(';\n');
    this.begun = true;
    const result = await this.client.query(text);
    const results = Array.isArray(result) ? result : [result];
    return results[results.length - 1].rows as R[];
  }

  /**
   * One statement to run right after the COMMIT, in the same round trip and in its own implicit
   * transaction, so it sees what this one committed; its rows come from `afterCommitRows()`.
   */
  afterCommit(sql: string, params: readonly unknown[]): void {
    this.final = { sql, params, rows: [] };
  }

  afterCommitRows<R>(): R[] {
    return (this.final?.rows ?? []) as R[];
  }

  async commit(): Promise<void> {
    const writes = this.takeWrites();
    const final = this.final;
    if (!this.begun && !final) {
      // Never begun: the writes alone, which one simple-protocol message runs as one transaction.
      if (writes.length) await this.client.query(writes.join(';\n'));
      return;
    }
    const text = [...(this.begun ? [] : ['BEGIN']), ...writes, 'COMMIT', ...(final ? [inline(final.sql, final.params)] : [])].join(';\n');
    // Until this answers, a failure leaves a transaction to roll back (ROLLBACK after a COMMIT
    // that did happen only warns).
    this.begun = true;
    const result = await this.client.query(text);
    this.begun = false;
    if (final) final.rows = (Array.isArray(result) ? result[result.length - 1] : result).rows;
  }

  async rollback(): Promise<void> {
    if (this.begun) await this.client.query('ROLLBACK');
    this.begun = false;
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
    if (writes.length) await this.m.query(writes.join(';\n'));
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
async function checkout(db: DataSource): Promise<[PgClient, (err?: unknown) => void]> {
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

/** A TypeORM transaction whose deferred writes are sent before it commits. */
export function inManagedTx<T>(db: DataSource, fn: (tx: ManagerTx) => Promise<T>): Promise<T> {
  return db.transaction(async (m) => {
    const tx = new ManagerTx(m);
    const result = await fn(tx);
    await tx.flush();
    return result;
  });
}

/**
 * Several statements in one round trip on a pooled connection (simple protocol: values must be
 * inlined with `inline`); answers the rows of statement `rowsFrom`.
 */
export async function runScript<R>(db: DataSource, statements: string[], rowsFrom: number): Promise<R[]> {
  const [client, release] = await checkout(db);
  try {
    const result = await client.query(statements.join(';\n'));
    release();
    const results = Array.isArray(result) ? result : [result];
    return results[rowsFrom].rows as R[];
  } catch (err) {
    // A failed script may have left its transaction open: the pool discards the connection.
    release(err);
    throw err;
  }
}

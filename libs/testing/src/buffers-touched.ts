/** Anything that runs a parameterised query: a TypeORM DataSource, a pg Client's wrapper. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs `sql` under EXPLAIN ANALYZE and answers the shared buffers its plan touched: how much of
 * the tables a read really reads, a measure that does not depend on the machine's speed.
 */
export async function buffersTouched(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  const [{ 'QUERY PLAN': plan }] = (await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params)) as [{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }];
  return plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
}

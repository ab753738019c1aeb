import { inline } from './sql-literal';

/** The NOTIFY channel a commit raises when it leaves work: outbox rows, or a message due now. */
export const WORK_CHANNEL = 'tsunagu_work';

export interface PendingWrite {
  /** One plain INSERT, UPDATE or DELETE without RETURNING (it becomes a data-modifying CTE). */
  sql: string;
  params: readonly unknown[];
  /**
   * The row it updates (`messages:<id>`). PostgreSQL applies only one of two updates of the same
   * row in one statement, so a repeated key starts the next statement instead.
   */
  rowKey?: string;
  /** Wake the workers (outbox relay, due-message dispatcher) when this commits. */
  notify?: boolean;
}

/**
 * Writes collected during a transaction and sent together: each statement is a chain of
 * data-modifying CTEs, so a transition's update, events, callbacks and outbox rows cost one round
 * trip instead of one each.
 */
export function composeWrites(writes: readonly PendingWrite[]): string[] {
  const groups: PendingWrite[][] = [];
  let current: PendingWrite[] = [];
  let keys = new Set<string>();
  for (const w of writes) {
    if (w.rowKey && keys.has(w.rowKey)) {
      groups.push(current);
      current = [];
      keys = new Set();
    }
    current.push(w);
    if (w.rowKey) keys.add(w.rowKey);
  }
  if (current.length) groups.push(current);
  return groups.map((group) => {
    const notify = group.some((w) => w.notify);
    if (group.length === 1 && !notify) return inline(group[0].sql, group[0].params);
    const ctes = group.map((w, i) => `w${i} AS (${inline(w.sql, w.params)})`).join(',\n');
    return `WITH ${ctes}\nSELECT ${notify ? `pg_notify('${WORK_CHANNEL}', '')` : '1'}`;
  });
}

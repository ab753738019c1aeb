import { inline } from './sql-literal';

/** The NOTIFY channels a commit raises when it leaves work for the workers. */
export const NOTIFY = {
  /** Outbox rows for the relay. */
  outbox: 'tsunagu_outbox',
  /** A message due now, for the due-message dispatcher. */
  due: 'tsunagu_due',
} as const;

export type NotifyChannel = (typeof NOTIFY)[keyof typeof NOTIFY];

export interface PendingWrite {
  /** One plain INSERT, UPDATE or DELETE without RETURNING (it becomes a data-modifying CTE). */
  sql: string;
  params: readonly unknown[];
  /**
   * The row it updates (`messages:<id>`). PostgreSQL applies only one of two updates of the same
   * row in one statement, so a repeated key starts the next statement instead.
   */
  rowKey?: string;
  /** Wake whoever drains this channel when this commits. */
  notify?: NotifyChannel;
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
    const channels = [...new Set(group.map((w) => w.notify).filter((c): c is NotifyChannel => !!c))];
    if (group.length === 1 && channels.length === 0) return inline(group[0].sql, group[0].params);
    const ctes = group.map((w, i) => `w${i} AS (${inline(w.sql, w.params)})`).join(',\n');
    return `WITH ${ctes}\nSELECT ${channels.length ? channels.map((c) => `pg_notify('${c}', '')`).join(', ') : '1'}`;
  });
}

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
   * row in one statement, so a repeated key starts the next statement instead; updates of
   * different rows of one table share a statement only when each says which row it updates.
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
  let tables = new Map<string, { keyed: boolean; inserts: boolean }>();
  for (const w of writes) {
    const target = targetOf(w.sql);
    const seen = target ? tables.get(target.table) : undefined;
    // The CTEs of one statement all see the snapshot from before it: a write to a table already
    // written in this statement may only join it when neither can see the other's row — both
    // inserts, or updates of different rows that say which (`rowKey`).
    const clash = seen !== undefined && !((seen.keyed && !!w.rowKey) || (seen.inserts && target!.insert));
    if ((w.rowKey && keys.has(w.rowKey)) || clash) {
      groups.push(current);
      current = [];
      keys = new Set();
      tables = new Map();
    }
    current.push(w);
    if (w.rowKey) keys.add(w.rowKey);
    if (target) {
      const before = tables.get(target.table);
      tables.set(target.table, { keyed: (before?.keyed ?? true) && !!w.rowKey, inserts: (before?.inserts ?? true) && target.insert });
    }
  }
  if (current.length) groups.push(current);
  return groups.map((group) => {
    const channels = [...new Set(group.map((w) => w.notify).filter((c): c is NotifyChannel => !!c))];
    if (group.length === 1 && channels.length === 0) return inline(group[0].sql, group[0].params);
    const ctes = group.map((w, i) => `w${i} AS (${inline(w.sql, w.params)})`).join(',\n');
    return `WITH ${ctes}\nSELECT ${channels.length ? channels.map((c) => `pg_notify('${c}', '')`).join(', ') : '1'}`;
  });
}

/** The table a plain INSERT, UPDATE or DELETE writes, and whether it inserts. */
function targetOf(sql: string): { table: string; insert: boolean } | null {
  const m = /^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)/i.exec(sql);
  return m ? { table: m[2].toLowerCase(), insert: /^INSERT/i.test(m[1]) } : null;
}

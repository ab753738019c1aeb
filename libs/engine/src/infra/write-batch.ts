import type { Statement } from './prepared-statements';

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
 * trip instead of one each. Their wake-ups (`notify`) are not in it: see `notifyAfterCommit`.
 */
export function composeWrites(writes: readonly PendingWrite[]): Statement[] {
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
  return groups.map((group) => (group.length === 1 ? { sql: group[0].sql, params: group[0].params } : { sql: chainOf(group), params: group.flatMap((w) => w.params) }));
}

/** A node of the chains composed so far, keyed by each write's template in turn. */
interface ChainNode {
  next: Map<string, ChainNode>;
  /** The parameters of the templates up to here, in total: where the next write's numbering starts. */
  offset: number;
  /** The chain that ends here, once composed. */
  sql?: string;
}

/** Bounds the chains remembered: templates built per call (attempt updates, multipart inserts) stay finitely many. */
const MAX_CHAIN_NODES = 2_000;
let chains: ChainNode = { next: new Map(), offset: 0 };
let chainNodes = 0;

/**
 * One statement of data-modifying CTEs for `group`, each write's placeholders moved past the ones
 * before it. A transition composes the same templates every time, so each chain is composed once
 * and then found by walking its templates: renumbering them with a regular expression on every
 * transaction was 5% of the worker's CPU (perf, session 13), with the literals the largest item of
 * our own code. The same text object comes back each time, so the prepared-statement lookup that
 * follows hashes it once.
 */
function chainOf(group: readonly PendingWrite[]): string {
  let node = chains;
  for (const w of group) {
    let child = node.next.get(w.sql);
    if (!child) {
      if (chainNodes >= MAX_CHAIN_NODES) {
        chains = { next: new Map(), offset: 0 };
        chainNodes = 0;
        return compose(group);
      }
      child = { next: new Map(), offset: node.offset + w.params.length };
      node.next.set(w.sql, child);
      chainNodes++;
    }
    // A template always takes the same parameters; one that did not would be numbered wrongly.
    if (child.offset !== node.offset + w.params.length) return compose(group);
    node = child;
  }
  node.sql ??= compose(group);
  return node.sql;
}

function compose(group: readonly PendingWrite[]): string {
  let offset = 0;
  const ctes = group.map((w, i) => {
    const sql = offset ? w.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`) : w.sql;
    offset += w.params.length;
    return `w${i} AS (${sql})`;
  });
  return `WITH ${ctes.join(',\n')}\nSELECT 1`;
}

/**
 * The wake-ups for what a transaction left, sent right after its COMMIT in a transaction of their
 * own that does not wait for the WAL flush. Why not inside it: PostgreSQL commits notifying
 * transactions one at a time, under one database-wide lock held through the commit's WAL flush,
 * and the pipeline bench found three quarters of the busy backends queued on that lock
 * (`Lock:object`). A wake-up is only a hint (the workers also poll), so losing one in a crash
 * costs a poll interval, never work.
 */
export function notifyAfterCommit(channels: Iterable<NotifyChannel>): string[] {
  const unique = [...new Set(channels)];
  if (unique.length === 0) return [];
  return ['BEGIN', 'SET LOCAL synchronous_commit = off', `SELECT ${unique.map((c) => `pg_notify('${c}', '')`).join(', ')}`, 'COMMIT'];
}

/** The table a plain INSERT, UPDATE or DELETE writes, and whether it inserts. */
function targetOf(sql: string): { table: string; insert: boolean } | null {
  const m = /^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)/i.exec(sql);
  return m ? { table: m[2].toLowerCase(), insert: /^INSERT/i.test(m[1]) } : null;
}

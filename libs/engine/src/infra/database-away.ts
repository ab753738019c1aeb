/** SQLSTATE classes and codes that say "try again": the connection, the server's state, a conflict. */
const TRANSIENT_STATES = /^(08...|57P0[123]|53300|40001|40P01)$/;
/** What node and `pg` say when the socket itself went away (no SQLSTATE to read). */
const TRANSIENT_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
const TRANSIENT_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection ended/i;

/**
 * True when a statement failed because PostgreSQL could not be reached or asked us to try again
 * (restarting, too many connections, a deadlock), not because of what the statement said.
 */
export function isDatabaseAway(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (TRANSIENT_STATES.test(code) || TRANSIENT_SOCKET.has(code))) return true;
  return typeof message === 'string' && TRANSIENT_MESSAGE.test(message);
}

/** The waits between tries: 0.2 s doubling to 3.2 s. */
export function awayBackoffMs(tryNumber: number): number {
  return Math.min(3200, 200 * 2 ** Math.max(0, tryNumber - 1));
}

/**
 * Runs `fn` again while the database is away, for at most `budgetMs`. For work that must not
 * be dropped because PostgreSQL restarted under it: a provider's answer already in hand. `fn`
 * must be safe to run again after a commit whose acknowledgement was lost (it re-reads under
 * its lock and sees what was committed).
 */
export async function retryWhileDatabaseAway<T>(
  fn: () => Promise<T>,
  { budgetMs, onRetry, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }: { budgetMs: number; onRetry?: (err: unknown, tryNumber: number) => void; sleep?: (ms: number) => Promise<unknown> },
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await fn();
    } catch (err) {
      const wait = awayBackoffMs(tryNumber);
      if (!isDatabaseAway(err) || Date.now() + wait > deadline) throw err;
      onRetry?.(err, tryNumber);
      await sleep(wait);
    }
  }
}

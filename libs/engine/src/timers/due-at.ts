import type { Tx } from '../infra/tx';
import { NOTIFY } from '../infra/write-batch';

/**
 * A message's next look is its `due_at`: the row is the timer. These write it inside the caller's
 * transaction, so a timer exists exactly when the state that needs it does; the dispatcher claims
 * due rows (`DueDispatcher`).
 */

/** Look again as soon as this commits (a report arrived, a send failed, a cancel was asked). */
export function wakeNow(tx: Tx, messageId: string): void {
  tx.write(`UPDATE messages SET due_at = now() WHERE id = $1 AND status IN ('accepted', 'dispatching')`, [messageId], {
    rowKey: `messages:${messageId}`,
    notify: NOTIFY.due,
  });
}

/** Look again at `at` (a fallback deadline, quiet hours' end); `null`: nothing to look at until something happens. */
export function dueAt(tx: Tx, messageId: string, at: Date | null): void {
  tx.write(`UPDATE messages SET due_at = $2 WHERE id = $1 AND status IN ('accepted', 'dispatching')`, [messageId, at], {
    rowKey: `messages:${messageId}`,
  });
}

import { DataSource } from 'typeorm';
import { callbackJob, writeOutbox } from '../infra/outbox';
import { inTx } from '../infra/tx';
import { CHANGED, announceSql } from '../infra/work-listener';

/** Tells every process's tenant cache to forget the tenant (`TenantSettingsService`); sent when the change commits. */
export const ANNOUNCE_TENANT_CHANGE = announceSql(CHANGED.tenant);

/** Tells every api process's key cache to forget the key (`ApiKeyGuard`): a revocation holds at once, not after the cache's time. */
export const ANNOUNCE_API_KEY_CHANGE = announceSql(CHANGED.apiKey);

/**
 * A batch of the tenant's callbacks waiting for a retry, made due now, in id order past `$3`.
 * Those of messages with a URL of their own are left: the tenant's URL is not where they go. Rows
 * another transaction holds (a try being recorded) are skipped: that try schedules the next itself.
 */
const MAKE_DUE = `UPDATE callbacks SET next_attempt_at = now() WHERE id IN (
    SELECT c.id FROM callbacks c JOIN messages m ON m.id = c.message_id
    WHERE c.tenant_id = $1 AND c.status = 'pending' AND c.next_attempt_at > now() AND m.callback_url IS NULL AND c.id > $3
    ORDER BY c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED)
  RETURNING id, tries`;

/** Callbacks brought forward per transaction: a CRM down for a day may have a great many waiting. */
const BATCH = 1000;

/**
 * Brings the tenant's waiting callbacks forward, a batch per transaction: each gets a job for its
 * next try now, beside the delayed one already queued. Both name the try they are for (`tries`);
 * whichever runs second finds it claimed and does nothing (`CallbackSenderService.deliver`). The
 * batches walk the ids once: a callback whose brought-forward try has already failed and been
 * rescheduled while later batches run is not brought forward again. Answers how many.
 */
export async function bringCallbacksForward(db: DataSource, tenantId: string): Promise<number> {
  let total = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const due = await inTx(db, async (tx) => {
      const rows = await tx.query<{ id: string; tries: number }>(MAKE_DUE, [tenantId, BATCH, after]);
      writeOutbox(tx, rows.map((c) => callbackJob(c.id, c.tries, { sooner: true })));
      return rows;
    });
    total += due.length;
    if (due.length < BATCH) return total;
    after = due.reduce((max, c) => (c.id > max ? c.id : max), after);
  }
}

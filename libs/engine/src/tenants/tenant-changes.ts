import { callbackJob, writeOutbox } from '../infra/outbox';
import type { Tx } from '../infra/tx';
import { CHANGED, announceSql } from '../infra/work-listener';

/** Tells every process's tenant cache to forget the tenant (`TenantSettingsService`); sent when the change commits. */
export const ANNOUNCE_TENANT_CHANGE = announceSql(CHANGED.tenant);

/** Tells every api process's key cache to forget the key (`ApiKeyGuard`): a revocation holds at once, not after the cache's time. */
export const ANNOUNCE_API_KEY_CHANGE = announceSql(CHANGED.apiKey);

/** In the transaction that changes the tenant: a notification is delivered at its commit, or never. */
export async function announceTenantChange(tx: Tx, tenantId: string): Promise<void> {
  await tx.query(ANNOUNCE_TENANT_CHANGE, [tenantId]);
}

/**
 * The tenant's callbacks waiting for a retry, made due now. Those of messages with a URL of their
 * own are left: the tenant's URL is not where they go.
 */
const MAKE_DUE = `UPDATE callbacks c SET next_attempt_at = now() FROM messages m
  WHERE c.tenant_id = $1 AND c.status = 'pending' AND c.next_attempt_at > now() AND m.id = c.message_id AND m.callback_url IS NULL
  RETURNING c.id, c.tries`;

/**
 * Brings the tenant's waiting callbacks forward: each gets a job for its next try now, beside the
 * delayed one already queued. Both name the try they are for (`tries`); whichever runs second
 * finds it made and does nothing (`CallbackSenderService.deliver`). Answers how many.
 */
export async function bringCallbacksForward(tx: Tx, tenantId: string): Promise<number> {
  const due = await tx.query<{ id: string; tries: number }>(MAKE_DUE, [tenantId]);
  writeOutbox(tx, due.map((c) => callbackJob(c.id, c.tries, { sooner: true })));
  return due.length;
}

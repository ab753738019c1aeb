import type { Tx } from '../infra/tx';

/** Why an SMS is not sent when its sender is no longer approved (an attempt's reason, a skipped channel's). */
export const SENDER_NOT_APPROVED = 'sender_not_approved';

/**
 * The accept's anti-spoofing rule (`sender_gate` in AcceptMessageService), asked again right before
 * an SMS goes: a scheduled message or a fallback may send hours or days after its accept, and a
 * sender suspended meanwhile (or handed over to another organisation) must not be used by it.
 */
export async function senderStillApproved(tx: Pick<Tx, 'query'>, tenantId: string, address: string, route: string | null): Promise<boolean> {
  const rows = await tx.query(
    `SELECT 1 FROM senders WHERE tenant_id = $1 AND address = $2 AND state = 'approved'
       AND ($3::text IS NULL OR cardinality(routes) = 0 OR $3 = ANY (routes))`,
    [tenantId, address, route],
  );
  return rows.length > 0;
}

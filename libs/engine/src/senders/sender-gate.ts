import type { Tx } from '../infra/tx';

/** Why an SMS is not sent when its sender is no longer approved (an attempt's reason, a skipped channel's). */
export const SENDER_NOT_APPROVED = 'sender_not_approved';

/**
 * The anti-spoofing rule as SQL, over a senders row `s` and the SMS route expression `route`:
 * approved, and for that route (or for any, when it names none). The one text of it: the accept
 * (`sender_gate`), the locked reads (`SENDER_APPROVED`) and `senderStillApproved` all use it.
 */
export function senderApprovedSql(s: string, route: string): string {
  return `${s}.state = 'approved' AND (${route} IS NULL OR cardinality(${s}.routes) = 0 OR ${route} = ANY (${s}.routes))`;
}

/**
 * The accept's anti-spoofing rule (`sender_gate` in AcceptMessageService), asked again right before
 * an SMS goes: a scheduled message or a fallback may send hours or days after its accept, and a
 * sender suspended meanwhile (or handed over to another organisation) must not be used by it.
 */
export async function senderStillApproved(tx: Pick<Tx, 'query'>, tenantId: string, address: string, route: string | null): Promise<boolean> {
  const rows = await tx.query(
    `SELECT 1 FROM senders s WHERE s.tenant_id = $1 AND s.address = $2 AND ${senderApprovedSql('s', '$3::text')}`,
    [tenantId, address, route],
  );
  return rows.length > 0;
}

export const MESSAGE_STATUSES = [
  'accepted', // stored, not yet dispatched (or scheduled / held for quiet hours)
  'dispatching', // an attempt is in flight
  'delivered',
  'read',
  'failed',
  'expired',
  'cancelled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const TERMINAL_MESSAGE_STATUSES: ReadonlySet<MessageStatus> = new Set([
  'delivered',
  'read',
  'failed',
  'expired',
  'cancelled',
]);

export const ATTEMPT_STATUSES = [
  'pending', // created, send job not yet run
  'submitting', // committed before the provider call: a crash here means the outcome is unknown
  'sent', // provider accepted it
  'delivered',
  'read',
  'failed',
  'expired',
  'unknown', // outcome can never be known (SMPP submit lost with its bind): never resent
  'revoked', // withdrawn by the engine before delivery
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const TERMINAL_ATTEMPT_STATUSES: ReadonlySet<AttemptStatus> = new Set([
  'delivered',
  'read',
  'failed',
  'expired',
  'unknown',
  'revoked',
]);

/** Attempt states that count as "the person got it". */
export const DELIVERED_ATTEMPT_STATUSES: ReadonlySet<AttemptStatus> = new Set(['delivered', 'read']);

/**
 * Allowed attempt transitions. First terminal wins, with two exceptions providers really produce:
 * `delivered → read` (a read receipt), and a late delivery after `revoked`/`expired`/`unknown`
 * (the withdrawal came too late) which the engine records as `possible_duplicate`.
 */
const ATTEMPT_TRANSITIONS: Record<AttemptStatus, readonly AttemptStatus[]> = {
  pending: ['submitting', 'sent', 'failed', 'revoked', 'expired'],
  submitting: ['pending', 'sent', 'delivered', 'read', 'failed', 'unknown', 'revoked', 'expired'],
  sent: ['delivered', 'read', 'failed', 'expired', 'revoked', 'unknown'],
  delivered: ['read'],
  read: [],
  failed: [],
  expired: ['delivered', 'read'],
  unknown: ['delivered', 'read', 'failed'],
  revoked: ['delivered', 'read'],
};

export function canTransitionAttempt(from: AttemptStatus, to: AttemptStatus): boolean {
  return ATTEMPT_TRANSITIONS[from].includes(to);
}

export function isTerminalAttempt(status: AttemptStatus): boolean {
  return TERMINAL_ATTEMPT_STATUSES.has(status);
}

export function isTerminalMessage(status: MessageStatus): boolean {
  return TERMINAL_MESSAGE_STATUSES.has(status);
}

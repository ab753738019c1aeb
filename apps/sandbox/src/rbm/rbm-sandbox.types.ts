/** How the sandbox treats one phone number; `capable` unless scripted. */
export const RBM_OUTCOMES = [
  'capable', // capability 200; a send is accepted and DELIVERED after the default delay
  'not_capable', // capability and send answer 404 NOT_FOUND
  'delivered', // accepted; DELIVERED after `afterMs`
  'read', // accepted; DELIVERED after `afterMs`, then READ
  'never_delivered', // accepted; no event until the message's ttl runs out
  '429', // every call answers 429 RESOURCE_EXHAUSTED with Retry-After
  '500', // every call answers 500 INTERNAL, nothing stored
  '500_after_applying', // a send is stored (and delivered later) but answered 500
  '400', // a send answers 400 INVALID_ARGUMENT
  '403', // a send answers 403 PERMISSION_DENIED (agent not launched on the carrier)
] as const;
export type RbmOutcome = (typeof RBM_OUTCOMES)[number];

export interface RbmScript {
  outcome: RbmOutcome;
  /** Delay before DELIVERED (and READ) for `capable`, `delivered`, `read`, `500_after_applying`. */
  afterMs?: number;
  /** For `429`: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** Push every event twice (a Pub/Sub redelivery: same ids). */
  duplicateEvents?: boolean;
  /** For `read`: push READ before DELIVERED. */
  readBeforeDelivered?: boolean;
  /** When the ttl runs out: TTL_EXPIRATION_REVOKE_FAILED instead of TTL_EXPIRATION_REVOKED. */
  ttlRevokeFails?: boolean;
}

export type SandboxMessageState = 'pending' | 'delivered' | 'read' | 'revoked' | 'expired' | 'expired_revoke_failed';

export interface SandboxMessageRecord {
  messageId: string;
  phone: string;
  agentId: string;
  /** Creates that were accepted (stored). More than 1 would mean a duplicate message. */
  createCount: number;
  /** Every create request for this messageId, whatever the answer. */
  requestCount: number;
  state: SandboxMessageState;
  body: Record<string, unknown>;
  messageTrafficType?: string;
  ttl?: string;
  createdAt: string;
}

export interface SandboxPushRecord {
  kind: 'event' | 'user_message';
  eventType?: string;
  eventId?: string;
  /** The message the push is about; none for a subscription event. */
  messageId?: string;
  /** HTTP status of the last try, or 'error' when the webhook could not be reached. */
  result: number | 'error' | 'pending';
  tries: number;
}

export interface SandboxRbmRecords {
  /** Token requests that got a token, by service-account email. */
  tokensIssued: Record<string, number>;
  /** Token requests refused (bad signature, unknown account, a key refused through the control, ...). */
  tokenRefusals: number;
  /** Every token request, whatever its answer (issued, refused, 503). */
  tokenRequests: number;
  /** RBM calls answered 401: no bearer token, or one unknown, expired or revoked. */
  unauthenticatedCalls: number;
  capabilityChecks: number;
  messages: Record<string, SandboxMessageRecord>;
  revokes: { messageId: string; status: number }[];
  pushes: SandboxPushRecord[];
}

/** A user message injected through the control, or (`event`) the person unsubscribing or subscribing again. */
export interface SandboxReply {
  phone: string;
  agentId?: string;
  event?: 'UNSUBSCRIBE' | 'SUBSCRIBE';
  text?: string;
  suggestion?: { text: string; postbackData: string };
  location?: { latitude: number; longitude: number };
  file?: { mimeType: string; fileName?: string };
}

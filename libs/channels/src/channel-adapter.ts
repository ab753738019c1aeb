import { Category, ChannelEvent, ChannelName } from '@tsunagu/core';

/** Static facts about a channel that the policy reads without importing the adapter. */
export interface ChannelTraits {
  /** Delivered to a SIM (so fit for one-time passwords). */
  simBound: boolean;
  supportsCancel: boolean;
  supportsReadReceipts: boolean;
  /** Sending twice with the same attempt id reaches the person once (RBM messageId, LINE retry key). */
  idempotentSend: boolean;
  /** The channel reports delivery; when false, `sent` is as far as it goes and counts as success. */
  reportsDelivery: boolean;
  /** Needs a phone number that can receive SMS (mobile), as SMS and RCS do. */
  needsMobileNumber: boolean;
}

/** What an adapter may know of a contact. The phone is decrypted in memory only. */
export interface ContactView {
  tenantId: string;
  contactId: string;
  phoneE164: string;
  lineUserId?: string | null;
  /** False once the person unfollowed the LINE account. */
  lineFollowing?: boolean;
  optOuts: readonly ChannelName[];
}

export interface CapabilityResult {
  reachable: boolean;
  /** Stable reason code, e.g. `not_rcs_capable`, `no_line_link`, `capability_lookup_failed`. */
  reason: string;
  checkedAt: Date;
  /** How long the caller may cache this answer. 0 = do not cache. */
  ttlSeconds: number;
}

/** One attempt to deliver, as the adapter sees it. */
export interface OutboundAttempt {
  attemptId: string;
  messageId: string;
  tenantId: string;
  category: Category;
  to: { phoneE164: string; lineUserId?: string | null };
  /** The plain text every channel can carry. */
  text: string;
  rcs?: Record<string, unknown> | null;
  line?: readonly Record<string, unknown>[] | null;
  sender?: string | null;
  /** Seconds the policy waits before falling back: RBM expiry, SMPP validity. */
  timeoutSeconds: number;
  /** International routes are allowed for this message (policy decision). */
  allowInternational: boolean;
  /** The provider message id from an earlier submit of this attempt, for cancel. */
  providerMessageId?: string | null;
  route?: string | null;
}

export interface SendResult {
  providerMessageId: string | null;
  /** Multipart SMS: the SMSC id of every segment, in order (receipts arrive per part). */
  partIds?: string[];
  route?: string;
  bind?: string;
  submittedAt: Date;
  /**
   * Whether a delivery report will follow for this attempt. Defaults to `traits.reportsDelivery`;
   * a LINE push answers false (LINE reports no delivery for push), so `sent` is its success.
   */
  awaitsDelivery?: boolean;
  /** Extra machine-readable facts, e.g. `smsc_id_missing`. */
  note?: string;
  /**
   * The provider's own id for this request (LINE's `x-line-request-id`): what its support desk
   * asks for. Kept on the attempt's event.
   */
  providerRequestId?: string | null;
}

export type CancelResult = 'revoked' | 'too_late' | 'unsupported';

export interface InboundRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received: signatures are computed over these, never over re-serialised JSON. */
  rawBody: Buffer;
}

/** How a text measures on a channel (SMS: encoding and segments); used by validation and preview. */
export interface LengthCheck {
  fits: boolean;
  /** Largest number of characters (units) the channel takes for this text's encoding. */
  limit: number;
  units: number;
  encoding?: string;
  segments?: number;
  remainingInLast?: number;
}

export interface ThroughputCost {
  /** The limited account, e.g. the SMPP route name. */
  key: string;
  units: number;
  perSecond: number;
}

export interface RoutePlanRequest {
  tenantId: string;
  destinationE164: string;
  domestic: boolean;
  category: Category;
  allowInternational: boolean;
  /** The sender the message names, if any: a route may not carry every kind (SMS: no alphanumeric id at home). */
  sender?: string | null;
}

export interface ChannelHealth {
  up: boolean;
  detail: Record<string, unknown>;
}

/** A reply the adapter sends itself, e.g. RBM's webhook verification handshake. */
export interface DirectReply {
  status: number;
  body: unknown;
}

/** A person whose data is being erased on request, as an adapter needs them to find what it keeps. */
export interface ErasedPerson {
  tenantId: string;
  contactId: string;
  /** Decrypted in memory for the erasure only; null when the contact held none. */
  phoneE164: string | null;
  lineUserId: string | null;
  /**
   * The addresses the engine routes replies to this tenant from (its SMS senders): what the
   * person sent to another organisation's address is that organisation's, not this tenant's to erase.
   */
  inboundAddresses: readonly string[];
}

/** The erasure's own transaction: what an adapter deletes on it commits with the erasure, or not at all. */
export interface ErasureSql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface ChannelAdapterInstance {
  readonly channel: ChannelName;
  readonly traits: ChannelTraits;
  /** Path segment of its webhook, `POST /webhooks/<webhookPath>`; defaults to the channel name. */
  readonly webhookPath?: string;
  capability(contact: ContactView): Promise<CapabilityResult>;
  send(attempt: OutboundAttempt): Promise<SendResult>;
  cancel(attempt: OutboundAttempt): Promise<CancelResult>;
  /** Verifies the signature first; throws InvalidInboundError when it fails or the body is malformed. */
  parseInbound(request: InboundRequest): Promise<ChannelEvent[]>;
  /**
   * For a provider handshake (RBM's clientToken/secret verification) the answer to send instead of
   * parsing events; null for ordinary traffic. Throws InvalidInboundError for a bad handshake.
   */
  directReply?(request: InboundRequest): Promise<DirectReply | null>;
  health(): Promise<ChannelHealth>;
  /** Accept-time length rule; absent means any sendable text fits. */
  checkLength?(text: string): LengthCheck;
  /**
   * Accept-time route choice (SMS: domestic direct vs international). Throws a DomainError
   * (DESTINATION_NOT_ALLOWED) when no route may carry it; the route is what senders are approved for.
   */
  planRoute?(request: RoutePlanRequest): { route: string | null };
  /**
   * What this send costs against a provider throughput limit shared by every worker (SMPP
   * accounts are throttled per PDU, so SMS counts segments); null when unlimited.
   */
  throughputCost?(attempt: OutboundAttempt): ThroughputCost | null;
  /** Validates the channel's own content object from the request (`rcs`, `line`); returns problems. */
  validateContent?(content: unknown): string[];
  /**
   * `traits.idempotentSend` for this one attempt, where a channel's sends differ: a LINE push
   * carries a retry key, a LINE notification message (PNP) cannot. Decides whether an attempt a
   * crash left `submitting`, or an unclassified failure, is sent again or settled as unknown.
   * Absent: the trait holds for every attempt.
   */
  idempotentFor?(attempt: OutboundAttempt): boolean;
  /**
   * Erasure on request: removes what the adapter keeps of the person outside the engine's tables
   * (SMS: parts of long replies from their number still waiting for their siblings), on `sql`,
   * the erasure's transaction. Returns how many records went (a count, for the audit row).
   * Absent: the adapter keeps nothing of people between calls.
   */
  erasePerson?(person: ErasedPerson, sql: ErasureSql): Promise<number>;
}

/** Whether sending this attempt again reaches the person at most once. */
export function sendsIdempotently(adapter: ChannelAdapterInstance, attempt: OutboundAttempt): boolean {
  return adapter.idempotentFor ? adapter.idempotentFor(attempt) : adapter.traits.idempotentSend;
}

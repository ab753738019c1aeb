import { ChannelAdapterInstance, ContactView, InboundRequest, OutboundAttempt } from '../channel-adapter';

/** Outcomes every sandbox stand-in can be scripted to produce for a destination. */
export type ScriptedSendOutcome = 'accept' | 'retryable' | 'permanent' | 'unknown_outcome';

/**
 * What each adapter's spec provides to the shared contract suite: the adapter wired to its
 * sandbox over real TCP/HTTP, and the sandbox's controls and records.
 */
export interface ChannelContractHarness {
  adapter: ChannelAdapterInstance;
  /** A contact the sandbox treats as reachable on this channel. */
  reachableContact(): Promise<ContactView>;
  /** A contact the sandbox treats as unreachable (not RCS capable, no LINE link, ...). */
  unreachableContact(): Promise<ContactView>;
  /** Script the next send to `contact` to end in `outcome`. */
  scriptSend(contact: ContactView, outcome: ScriptedSendOutcome): Promise<void>;
  /** How many times the provider stand-in received this attempt (its idempotency key). */
  receivedCount(attemptId: string): Promise<number>;
  /** Valid inbound traffic (a delivery report for `attemptId` after it was sent). */
  validInbound(attempt: OutboundAttempt, providerMessageId: string | null): Promise<InboundRequest>;
  /** The same traffic with its signature broken; undefined when the channel has no signed inbound (SMPP). */
  badSignatureInbound?(attempt: OutboundAttempt, providerMessageId: string | null): Promise<InboundRequest>;
  /** A payload that cannot be parsed. */
  malformedInbound(): Promise<InboundRequest>;
  /**
   * For channels whose inbound does not come through parseInbound (SMPP deliver_sm on the bind):
   * waits for the events the adapter handed to its sink for this provider message id.
   */
  sinkEventsFor?(providerMessageId: string, timeoutMs: number): Promise<{ type: string }[]>;
  /** Whether cancel is expected to revoke an undelivered attempt. */
  cancelRevokes: boolean;
  close(): Promise<void>;
}

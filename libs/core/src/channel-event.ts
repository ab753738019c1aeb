import { ChannelName } from './channel-name';

export const CHANNEL_EVENT_TYPES = [
  'accepted',
  'delivered',
  'read',
  'failed',
  'expired',
  'inbound_message',
  'opt_out',
  'opt_in',
] as const;
export type ChannelEventType = (typeof CHANNEL_EVENT_TYPES)[number];

/**
 * What every adapter turns provider traffic into: a DLR, a webhook event, a mobile-originated
 * message. One ingestion path consumes these for every channel.
 */
export interface ChannelEvent {
  channel: ChannelName;
  type: ChannelEventType;
  /** Unique per provider event; the dedupe key (UNIQUE with the channel). */
  providerEventId: string;
  /** Our attempt id when the provider echoes it (RBM messageId, LINE retry key). */
  attemptId?: string;
  /** The provider's id for the message (SMSC message_id, ...), to correlate when no attemptId. */
  providerMessageId?: string;
  /** Provider account that saw it (RBM agent, LINE channel, SMPP route), for tenant resolution. */
  account?: string;
  tenantId?: string;
  occurredAt: Date;
  /** For failed/expired: a stable reason code, and whether retrying could help. */
  reason?: string;
  permanent?: boolean;
  /** For inbound traffic: our address it was sent to (SMS short code / long number), to find the tenant. */
  recipient?: string;
  /** For inbound_message / opt_out / opt_in: who it came from. */
  from?: { phoneE164?: string; lineUserId?: string };
  /** For inbound_message: the text or a short description of non-text content. */
  text?: string;
  contentType?: 'text' | 'sticker' | 'image' | 'location' | 'file' | 'suggestion' | 'other';
  /** Provider payload with personal data removed, kept for operators. */
  raw?: Record<string, unknown>;
}

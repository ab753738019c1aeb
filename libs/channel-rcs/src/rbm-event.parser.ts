import { ChannelEvent } from '@tsunagu/core';

/*
 * Pure mapping from one decoded RBM notification (the JSON inside `message.data`) to
 * ChannelEvents. Three shapes arrive:
 *   user event   { senderPhoneNumber, eventType: DELIVERED|READ|IS_TYPING, eventId, messageId, sendTime, agentId }
 *   subscription { senderPhoneNumber, eventType: UNSUBSCRIBE|SUBSCRIBE, eventId, sendTime, agentId } (no messageId)
 *   server event { phoneNumber, eventType: TTL_EXPIRATION_REVOKED|TTL_EXPIRATION_REVOKE_FAILED, eventId, messageId, sendTime, agentId }
 *   user message { senderPhoneNumber, messageId, sendTime, agentId, text | suggestionResponse | location | userFile }
 * Some payloads nest the event under `event` / `serverEvent`; both are read.
 * Ids come only from the payload, so a replayed notification maps to the same providerEventId.
 */

export interface RbmEventContext {
  /** The agent that the verified signature belongs to. */
  agentId?: string;
  tenantId?: string;
  /** Pub/Sub publishTime, used when the payload has no sendTime. */
  publishTime?: string;
  /** Pub/Sub messageId (kept on redelivery): the dedupe key of a subscription event with no eventId. */
  pubsubMessageId?: string;
  /** Fallback for occurredAt; injected so the mapping stays pure. */
  receivedAt: Date;
}

type Json = Record<string, unknown>;

const EVENT_TYPES: Record<string, Pick<ChannelEvent, 'type' | 'reason' | 'permanent'> | null> = {
  DELIVERED: { type: 'delivered' },
  READ: { type: 'read' },
  IS_TYPING: null,
  // RBM withdrew the expired message itself: nothing reached the person, fall back at once.
  TTL_EXPIRATION_REVOKED: { type: 'expired', reason: 'ttl_expired_revoked', permanent: true },
  // Expired but still on its way: the engine falls back and marks a possible duplicate.
  TTL_EXPIRATION_REVOKE_FAILED: { type: 'expired', reason: 'ttl_revoke_failed', permanent: true },
};

/*
 * The person unsubscribed (or subscribed again) in Google Messages. RBM means "no more
 * non-essential messages from this agent"; the engine's opt-out is per channel, so it stops RCS for
 * every category and the essential ones go by the next channel: never a promotion to someone who
 * said stop. Not about any one message, so these carry no messageId.
 */
const SUBSCRIPTION_EVENTS: Record<string, 'opt_out' | 'opt_in'> = {
  UNSUBSCRIBE: 'opt_out',
  SUBSCRIBE: 'opt_in',
};

export function mapRbmEvent(data: unknown, ctx: RbmEventContext): ChannelEvent[] {
  if (!isObject(data)) return [];
  const nested = isObject(data.event) ? data.event : isObject(data.serverEvent) ? data.serverEvent : undefined;
  const eventType = str(data.eventType) ?? str(nested?.eventType);
  const base = {
    channel: 'rcs' as const,
    account: ctx.agentId ?? str(data.agentId),
    tenantId: ctx.tenantId,
    occurredAt: timeOf(str(data.sendTime) ?? str(nested?.sendTime), ctx),
  };

  if (eventType && SUBSCRIPTION_EVENTS[eventType]) {
    const sender = str(data.senderPhoneNumber) ?? str(nested?.senderPhoneNumber);
    const pubsub = ctx.pubsubMessageId ? `pubsub-${ctx.pubsubMessageId}` : undefined;
    // The id must not be built from the phone number: it is stored as the event's dedupe key.
    const eventId = str(data.eventId) ?? str(nested?.eventId) ?? pubsub;
    if (!sender || !eventId) return [];
    return [
      {
        ...base,
        type: SUBSCRIPTION_EVENTS[eventType],
        providerEventId: eventId,
        recipient: str(data.agentId) ?? ctx.agentId,
        from: { phoneE164: sender },
        raw: { eventType, eventId, agentId: str(data.agentId), sendTime: str(data.sendTime) },
      },
    ];
  }

  if (eventType) {
    const mapped = EVENT_TYPES[eventType];
    const messageId = str(data.messageId) ?? str(nested?.messageId);
    if (!mapped || !messageId) return [];
    const eventId = str(data.eventId) ?? str(nested?.eventId) ?? `${eventType}-${messageId}`;
    return [
      {
        ...base,
        ...mapped,
        providerEventId: eventId,
        attemptId: messageId,
        providerMessageId: messageId,
        raw: { eventType, eventId, messageId, agentId: str(data.agentId), sendTime: str(data.sendTime) },
      },
    ];
  }

  const inbound = describeUserMessage(data);
  const messageId = str(data.messageId);
  const sender = str(data.senderPhoneNumber);
  if (!inbound || !messageId || !sender) return [];
  return [
    {
      ...base,
      type: 'inbound_message',
      providerEventId: messageId,
      providerMessageId: messageId,
      recipient: str(data.agentId) ?? ctx.agentId,
      from: { phoneE164: sender },
      contentType: inbound.contentType,
      text: inbound.text,
      // Personal data (number, text, location, file URI) stays out of raw.
      raw: { messageId, agentId: str(data.agentId), sendTime: str(data.sendTime), contentType: inbound.contentType },
    },
  ];
}

function describeUserMessage(data: Json): Pick<ChannelEvent, 'contentType' | 'text'> | null {
  const text = str(data.text);
  if (text !== undefined) return { contentType: 'text', text };
  if (isObject(data.suggestionResponse)) {
    const s = data.suggestionResponse;
    return { contentType: 'suggestion', text: str(s.postbackData) ?? str(s.text) ?? '' };
  }
  if (isObject(data.location)) {
    const { latitude, longitude } = data.location;
    const where = typeof latitude === 'number' && typeof longitude === 'number' ? ` ${latitude},${longitude}` : '';
    return { contentType: 'location', text: `location${where}` };
  }
  if (isObject(data.userFile)) {
    const payload = isObject(data.userFile.payload) ? data.userFile.payload : {};
    const mime = str(payload.mimeType) ?? 'unknown type';
    const image = mime.startsWith('image/');
    return { contentType: image ? 'image' : 'file', text: `${image ? 'image' : 'file'}: ${mime}` };
  }
  return null;
}

function timeOf(value: string | undefined, ctx: RbmEventContext): Date {
  for (const candidate of [value, ctx.publishTime]) {
    if (!candidate) continue;
    const at = Date.parse(candidate);
    if (!Number.isNaN(at)) return new Date(at);
  }
  return ctx.receivedAt;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

import { ChannelEvent, isUuid } from '@tsunagu/core';
import { LineCallbackBody, LineWebhookEvent } from './line-webhook.schema';

/** The channel a verified webhook came from. */
export interface LineWebhookChannel {
  id: string;
  tenantId: string;
  botUserId: string;
}

type ContentType = NonNullable<ChannelEvent['contentType']>;

/** What each LINE message type becomes: our content type, and the text stored when it is not text. */
const MESSAGE_CONTENT: Record<string, { contentType: ContentType; describe: (m: NonNullable<LineWebhookEvent['message']>) => string }> = {
  text: { contentType: 'text', describe: (m) => m.text ?? '' },
  // Message stickers carry the words the person typed on them; plain stickers are described.
  sticker: { contentType: 'sticker', describe: (m) => m.text ?? `[sticker ${m.packageId ?? '?'}/${m.stickerId ?? '?'}]` },
  image: { contentType: 'image', describe: () => '[image]' },
  video: { contentType: 'other', describe: () => '[video]' },
  audio: { contentType: 'other', describe: () => '[audio]' },
  file: { contentType: 'file', describe: () => '[file]' },
  location: { contentType: 'location', describe: () => '[location]' },
};

/**
 * Turns a verified, schema-checked webhook body into channel events. Pure.
 *
 * - `message` from a user → `inbound_message` (text, or a description of non-text content)
 * - `follow` → `opt_in` (the engine links or refreshes the contact's LINE id)
 * - `unfollow` → `opt_out` (the person blocked the account)
 * - `delivery` (PNP delivery completion) → `delivered` for the attempt named by its delivery tag
 * - anything else (join, postback, unsend, ...) → skipped
 *
 * `providerEventId` is LINE's `webhookEventId`, which a redelivery keeps, so replays dedupe.
 *
 * `mode: standby` (a module channel has the chat) is mapped like `active`: standby forbids the
 * bot's replies, and Tsunagu never replies to an event; what the events report (a block, a
 * delivery, a message in the person's conversation) is true in either mode. `raw.mode` keeps it.
 */
export function mapLineWebhookEvents(body: LineCallbackBody, channel: LineWebhookChannel): ChannelEvent[] {
  const events: ChannelEvent[] = [];
  for (const event of body.events) {
    const mapped = mapEvent(event, channel);
    if (mapped) events.push(mapped);
  }
  return events;
}

function mapEvent(event: LineWebhookEvent, channel: LineWebhookChannel): ChannelEvent | null {
  const base = {
    channel: 'line',
    providerEventId: event.webhookEventId,
    account: channel.id,
    tenantId: channel.tenantId,
    recipient: channel.botUserId,
    occurredAt: new Date(event.timestamp),
    raw: redactedRaw(event),
  } satisfies Partial<ChannelEvent>;
  // Conversations are one per person: only one-to-one chats (source `user`) are mapped; a message
  // in a group or room cannot be answered to that person alone.
  const userId = event.source?.type === 'user' ? event.source.userId : undefined;

  switch (event.type) {
    case 'message': {
      if (!userId || !event.message) return null;
      const content = MESSAGE_CONTENT[event.message.type] ?? {
        contentType: 'other' as const,
        describe: () => `[${event.message?.type ?? 'unknown'}]`,
      };
      return {
        ...base,
        type: 'inbound_message',
        providerMessageId: event.message.id,
        from: { lineUserId: userId },
        contentType: content.contentType,
        text: content.describe(event.message),
      };
    }
    case 'follow':
      return userId ? { ...base, type: 'opt_in', from: { lineUserId: userId } } : null;
    case 'unfollow':
      return userId ? { ...base, type: 'opt_out', from: { lineUserId: userId } } : null;
    case 'delivery': {
      // The data is our X-Line-Delivery-Tag (the attempt id). Without a tag LINE puts the hashed
      // phone number there: nothing we can correlate, and personal data, so it is not kept.
      const data = event.delivery?.data;
      if (!data || !isUuid(data)) return null;
      return { ...base, type: 'delivered', attemptId: data.toLowerCase() };
    }
    default:
      return null;
  }
}

/** What operators may see of the event: ids and types, no text, no user id, no delivery data. */
function redactedRaw(event: LineWebhookEvent): Record<string, unknown> {
  return {
    type: event.type,
    mode: event.mode,
    webhookEventId: event.webhookEventId,
    isRedelivery: event.deliveryContext.isRedelivery,
    timestamp: event.timestamp,
    ...(event.source ? { sourceType: event.source.type } : {}),
    ...(event.message ? { messageType: event.message.type, messageId: event.message.id } : {}),
  };
}

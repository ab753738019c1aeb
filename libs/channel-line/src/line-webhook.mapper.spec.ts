import { mapLineWebhookEvents } from './line-webhook.mapper';
import { LineCallbackBody, LineWebhookEvent } from './line-webhook.schema';

const BOT = `U${'b'.repeat(32)}`;
const USER = `U${'1'.repeat(32)}`;
const channel = { id: '2000000001', tenantId: 'tenant-a', botUserId: BOT };
const ATTEMPT = '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';

function event(type: string, extra: Partial<LineWebhookEvent> = {}, redelivery = false): LineWebhookEvent {
  return {
    type,
    source: { type: 'user', userId: USER },
    timestamp: 1_700_000_000_000,
    mode: 'active',
    webhookEventId: `01HX${type.toUpperCase().padEnd(22, '0')}`.slice(0, 26),
    deliveryContext: { isRedelivery: redelivery },
    ...extra,
  };
}
const body = (...events: LineWebhookEvent[]): LineCallbackBody => ({ destination: BOT, events });

describe('mapLineWebhookEvents', () => {
  it('maps a text message to inbound_message from the LINE user', () => {
    const [e] = mapLineWebhookEvents(body(event('message', { message: { type: 'text', id: '468789577898262530', text: '予約を変更したい' } })), channel);
    expect(e).toMatchObject({
      channel: 'line',
      type: 'inbound_message',
      providerEventId: event('message').webhookEventId,
      providerMessageId: '468789577898262530',
      account: '2000000001',
      tenantId: 'tenant-a',
      recipient: BOT,
      from: { lineUserId: USER },
      contentType: 'text',
      text: '予約を変更したい',
    });
    expect(e.occurredAt).toEqual(new Date(1_700_000_000_000));
  });

  it('describes stickers and images instead of carrying content', () => {
    const events = mapLineWebhookEvents(
      body(
        event('message', { webhookEventId: 'A1', message: { type: 'sticker', id: '1', packageId: '446', stickerId: '1988' } }),
        event('message', { webhookEventId: 'A2', message: { type: 'image', id: '2' } }),
        event('message', { webhookEventId: 'A3', message: { type: 'location', id: '3', title: '自宅' } }),
      ),
      channel,
    );
    expect(events.map((e) => [e.contentType, e.text])).toEqual([
      ['sticker', '[sticker 446/1988]'],
      ['image', '[image]'],
      ['location', '[location]'],
    ]);
  });

  it('maps follow to opt_in and unfollow to opt_out', () => {
    const events = mapLineWebhookEvents(body(event('follow'), event('unfollow')), channel);
    expect(events.map((e) => [e.type, e.from?.lineUserId])).toEqual([
      ['opt_in', USER],
      ['opt_out', USER],
    ]);
  });

  it('maps a PNP delivery event to delivered for the attempt named by the delivery tag', () => {
    const [e] = mapLineWebhookEvents(body(event('delivery', { source: undefined, delivery: { data: ATTEMPT } })), channel);
    expect(e).toMatchObject({ type: 'delivered', attemptId: ATTEMPT, account: '2000000001' });
  });

  it('drops a delivery event whose data is a phone hash (no delivery tag): nothing to correlate', () => {
    expect(mapLineWebhookEvents(body(event('delivery', { delivery: { data: 'a'.repeat(64) } })), channel)).toEqual([]);
  });

  it('gives a redelivered event the same providerEventId', () => {
    const first = mapLineWebhookEvents(body(event('follow')), channel);
    const again = mapLineWebhookEvents(body(event('follow', {}, true)), channel);
    expect(again[0].providerEventId).toBe(first[0].providerEventId);
  });

  it('skips unknown event types and group messages', () => {
    const events = mapLineWebhookEvents(
      body(
        event('postback'),
        event('join'),
        event('message', { source: { type: 'group', groupId: 'C1', userId: USER }, message: { type: 'text', id: '9', text: 'hi' } }),
      ),
      channel,
    );
    expect(events).toEqual([]);
  });

  it('maps standby events like active ones (a block is still a block), keeping the mode in raw', () => {
    const events = mapLineWebhookEvents(
      body(event('unfollow', { mode: 'standby' }), event('message', { mode: 'standby', webhookEventId: 'S2', message: { type: 'text', id: '8', text: 'hi' } })),
      channel,
    );
    expect(events.map((e) => [e.type, e.raw?.['mode']])).toEqual([
      ['opt_out', 'standby'],
      ['inbound_message', 'standby'],
    ]);
  });

  it('keeps no text and no user id in raw', () => {
    const [e] = mapLineWebhookEvents(body(event('message', { message: { type: 'text', id: '7', text: '電話 09012345678' } })), channel);
    expect(JSON.stringify(e.raw)).not.toContain('0901234');
    expect(JSON.stringify(e.raw)).not.toContain(USER);
  });
});

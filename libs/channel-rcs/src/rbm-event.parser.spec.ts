import { mapRbmEvent, RbmEventContext } from './rbm-event.parser';

const ctx: RbmEventContext = { agentId: 'agent-1', tenantId: 'tenant-a', receivedAt: new Date('2025-01-01T00:00:00Z') };
const PHONE = '+819012345678';

describe('mapRbmEvent', () => {
  it.each([
    ['DELIVERED', { type: 'delivered' }],
    ['READ', { type: 'read' }],
    ['TTL_EXPIRATION_REVOKED', { type: 'expired', reason: 'ttl_expired_revoked' }],
    ['TTL_EXPIRATION_REVOKE_FAILED', { type: 'expired', reason: 'ttl_revoke_failed' }],
  ])('%s → %j with our attempt id and RBM eventId', (eventType, expected) => {
    const [event, ...rest] = mapRbmEvent(
      { senderPhoneNumber: PHONE, eventType, eventId: 'ev-1', messageId: 'attempt-1', sendTime: '2025-01-02T03:04:05.678Z', agentId: 'agent-1@rbm.goog' },
      ctx,
    );
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      channel: 'rcs',
      ...expected,
      providerEventId: 'ev-1',
      attemptId: 'attempt-1',
      providerMessageId: 'attempt-1',
      account: 'agent-1',
      tenantId: 'tenant-a',
      occurredAt: new Date('2025-01-02T03:04:05.678Z'),
    });
    expect(JSON.stringify(event.raw)).not.toContain(PHONE);
  });

  it('reads server events that name the recipient phoneNumber, and nested event objects', () => {
    const flat = mapRbmEvent({ phoneNumber: PHONE, eventType: 'TTL_EXPIRATION_REVOKED', eventId: 'e', messageId: 'm' }, ctx);
    const nested = mapRbmEvent({ phoneNumber: PHONE, serverEvent: { eventType: 'TTL_EXPIRATION_REVOKED', eventId: 'e', messageId: 'm' } }, ctx);
    expect(nested).toEqual(flat);
    expect(nested[0]).toMatchObject({ type: 'expired', attemptId: 'm' });
  });

  it('IS_TYPING and unknown event types map to nothing', () => {
    expect(mapRbmEvent({ senderPhoneNumber: PHONE, eventType: 'IS_TYPING', eventId: 'e', messageId: 'm' }, ctx)).toEqual([]);
    expect(mapRbmEvent({ eventType: 'SOMETHING_NEW', eventId: 'e', messageId: 'm' }, ctx)).toEqual([]);
    expect(mapRbmEvent({ eventType: 'DELIVERED', eventId: 'e' }, ctx)).toEqual([]);
    expect(mapRbmEvent('DELIVERED', ctx)).toEqual([]);
    expect(mapRbmEvent({ agentId: 'agent-1' }, ctx)).toEqual([]);
  });

  it.each([
    ['UNSUBSCRIBE', 'opt_out'],
    ['SUBSCRIBE', 'opt_in'],
  ])('%s (the person in Google Messages, no messageId) → %s from that number', (eventType, type) => {
    const [event, ...rest] = mapRbmEvent(
      { senderPhoneNumber: PHONE, eventType, eventId: 'ev-sub', sendTime: '2025-01-02T03:04:05Z', agentId: 'agent-1@rbm.goog' },
      ctx,
    );
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      channel: 'rcs',
      type,
      providerEventId: 'ev-sub',
      from: { phoneE164: PHONE },
      account: 'agent-1',
      tenantId: 'tenant-a',
      occurredAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(event.attemptId).toBeUndefined();
    expect(JSON.stringify(event.raw)).not.toContain(PHONE);
  });

  it('a subscription event with no eventId dedupes on the Pub/Sub message id, never on the number; with neither, or no sender, nothing', () => {
    const data = { senderPhoneNumber: PHONE, eventType: 'UNSUBSCRIBE' };
    expect(mapRbmEvent(data, { ...ctx, pubsubMessageId: '1415' })[0].providerEventId).toBe('pubsub-1415');
    expect(mapRbmEvent(data, ctx)).toEqual([]);
    expect(mapRbmEvent({ eventType: 'UNSUBSCRIBE', eventId: 'e' }, ctx)).toEqual([]);
  });

  it('derives a stable id when RBM sends no eventId, so replays still dedupe', () => {
    const data = { senderPhoneNumber: PHONE, eventType: 'READ', messageId: 'm-9' };
    expect(mapRbmEvent(data, ctx)[0].providerEventId).toBe('READ-m-9');
    expect(mapRbmEvent(data, { ...ctx, receivedAt: new Date() })[0].providerEventId).toBe('READ-m-9');
  });

  it('falls back to publishTime, then the receive time, for occurredAt', () => {
    const data = { senderPhoneNumber: PHONE, eventType: 'READ', messageId: 'm', sendTime: 'garbage' };
    expect(mapRbmEvent(data, { ...ctx, publishTime: '2025-02-02T00:00:00Z' })[0].occurredAt).toEqual(new Date('2025-02-02T00:00:00Z'));
    expect(mapRbmEvent(data, ctx)[0].occurredAt).toEqual(ctx.receivedAt);
  });

  describe('user messages', () => {
    const base = { senderPhoneNumber: PHONE, messageId: 'mo-1', sendTime: '2025-01-02T00:00:00Z', agentId: 'agent-1' };

    it.each([
      [{ text: 'こんにちは' }, 'text', 'こんにちは'],
      [{ suggestionResponse: { postbackData: 'reschedule', text: 'Reschedule', type: 'REPLY' } }, 'suggestion', 'reschedule'],
      [{ suggestionResponse: { text: 'Yes', type: 'REPLY' } }, 'suggestion', 'Yes'],
      [{ location: { latitude: 35.681, longitude: 139.767 } }, 'location', 'location 35.681,139.767'],
      [{ userFile: { payload: { mimeType: 'image/jpeg', fileUri: 'https://x/y', fileName: 'a.jpg' } } }, 'image', 'image: image/jpeg'],
      [{ userFile: { payload: { mimeType: 'application/pdf' } } }, 'file', 'file: application/pdf'],
    ])('%j → %s "%s"', (content, contentType, text) => {
      const [event] = mapRbmEvent({ ...base, ...content }, ctx);
      expect(event).toMatchObject({
        type: 'inbound_message',
        providerEventId: 'mo-1',
        from: { phoneE164: PHONE },
        contentType,
        text,
        account: 'agent-1',
        tenantId: 'tenant-a',
      });
      expect(event.attemptId).toBeUndefined();
      expect(JSON.stringify(event.raw)).not.toMatch(/819012345678|こんにちは|35\.681|https:\/\/x/);
    });

    it('a user message without sender or id is ignored', () => {
      expect(mapRbmEvent({ messageId: 'mo-1', text: 'hi' }, ctx)).toEqual([]);
      expect(mapRbmEvent({ senderPhoneNumber: PHONE, text: 'hi' }, ctx)).toEqual([]);
    });
  });
});

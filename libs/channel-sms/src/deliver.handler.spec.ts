import { handleDeliver } from './deliver.handler';
import type { SmsRouteConfig } from './route.selector';
import { newPdu, smpp, SmppPdu } from './smpp/smpp.types';

const route = { name: 'jp', messageIdMatch: 'as_is' } as SmsRouteConfig;
const packedRoute = { ...route, inboundGsm7: 'packed' } as SmsRouteConfig;
const STOP = ['STOP', '停止', '配信停止'];

/** Encodes with the smpp package and decodes the bytes again, as a PDU arrives off the wire. */
function wire(options: Record<string, unknown>): SmppPdu {
  const bytes = newPdu('deliver_sm', { sequence_number: 7, ...options }).toBuffer();
  return new smpp.PDU(bytes);
}

describe('handleDeliver', () => {
  const now = new Date('2024-06-01T00:00:00Z');

  it('turns a receipt into an event keyed by normalised id and stat', () => {
    const pdu = wire({ esm_class: 4, short_message: Buffer.from('id:00AB12 sub:001 dlvrd:000 stat:UNDELIV err:011 text:') });
    const out = handleDeliver(pdu, route, STOP, now);
    expect(out).toMatchObject({
      kind: 'events',
      events: [{ channel: 'sms', type: 'failed', reason: 'undeliverable', permanent: true, providerMessageId: 'ab12', providerEventId: 'ab12-undeliv', account: 'jp', occurredAt: now }],
    });
  });

  it('reports a flagged receipt it cannot read as unparsed, with the body quote redacted', () => {
    const pdu = wire({ esm_class: 4, short_message: Buffer.from('id: sub:001 stat: text:secret 09012345678') });
    const out = handleDeliver(pdu, route, STOP, now);
    expect(out).toMatchObject({ kind: 'unparsed', reason: 'missing_id' });
    expect(JSON.stringify(out)).not.toContain('secret');
  });

  it.each([4, 0])('reports a receipt with an impossible date (esm_class %s) as unparsed, never as a message from the handset', (esmClass) => {
    const pdu = wire({ esm_class: esmClass, source_addr: '819012345678', short_message: Buffer.from('id:00AB12 sub:001 dlvrd:001 submit date:2913301261 done date:2913301261 stat:DELIVRD err:000 text:') });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({ kind: 'unparsed', reason: 'invalid_date' });
  });

  it.each([
    [0, 'Hello @ £ {ok}', 'Hello @ £ {ok}'],
    [8, 'こんにちは🙂', 'こんにちは🙂'],
    [3, 'Café', 'Café'],
  ])('decodes MO text with data_coding %s', (dataCoding, text, expected) => {
    const pdu = wire({ source_addr_ton: 1, source_addr: '819012345678', destination_addr: '0005123456', data_coding: dataCoding, short_message: { message: text } });
    const out = handleDeliver(pdu, route, STOP, now);
    expect(out).toMatchObject({ kind: 'events', events: [{ type: 'inbound_message', text: expected, recipient: '0005123456', from: { phoneE164: '+819012345678' } }] });
  });

  it('reads a receipt with data_coding 0 as the SMSC\'s ASCII, not GSM-7: an id with `_` matches its send', () => {
    // No TLVs: the id is in the text alone. As GSM-7, 0x5F is `§` and 0x40 `¡`.
    const text = 'id:SMSC_01_00AB12 sub:001 dlvrd:001 submit date:2406010900 done date:2406010901 stat:DELIVRD err:000 text:_@$ hi';
    const pdu = wire({ esm_class: 4, data_coding: 0, short_message: Buffer.from(text, 'ascii') });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({
      kind: 'events',
      receipt: { messageId: 'SMSC_01_00AB12', stat: 'DELIVRD' },
      events: [{ type: 'delivered', providerMessageId: 'smsc_01_00ab12', providerEventId: 'smsc_01_00ab12-delivrd' }],
    });
    // The same on a route whose replies come packed: receipts are never packed septets.
    expect(handleDeliver(pdu, packedRoute, STOP, now)).toMatchObject({ kind: 'events', events: [{ providerMessageId: 'smsc_01_00ab12' }] });
    // Unflagged (esm_class 0) and in message_payload: still read as ASCII.
    const payload = wire({ esm_class: 0, data_coding: 0, message_payload: Buffer.from(text, 'ascii') });
    expect(handleDeliver(payload, route, STOP, now)).toMatchObject({ kind: 'events', events: [{ providerMessageId: 'smsc_01_00ab12' }] });
  });

  it('keeps an unreadable receipt\'s redacted text in ASCII', () => {
    const pdu = wire({ esm_class: 4, data_coding: 0, short_message: Buffer.from('id:a_b stat:WHAT text:secret', 'ascii') });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({ kind: 'unparsed', reason: 'unknown_stat', redactedText: 'id:a_b stat:WHAT text:[redacted]' });
  });

  it('reads a reply\'s data_coding 0 as unpacked GSM-7 by default, and as packed where the route says so', () => {
    const from = { source_addr_ton: 1, source_addr: '819012345678', data_coding: 0 };
    // The same bytes, two readings: unpacked they are `_` and `@`, as GSM-7 has them.
    expect(handleDeliver(wire({ ...from, short_message: Buffer.from([0x11, 0x00, 0x02]) }), route, STOP, now)).toMatchObject({ events: [{ text: '_@$' }] });
    const packed = Buffer.from('c8f71d14969741f977fd07', 'hex'); // 'How are you?' packed
    expect(handleDeliver(wire({ ...from, short_message: packed }), packedRoute, STOP, now)).toMatchObject({ kind: 'events', events: [{ text: 'How are you?' }] });
    expect(handleDeliver(wire({ ...from, short_message: packed }), route, STOP, now)).not.toMatchObject({ events: [{ text: 'How are you?' }] });
    // A packed stop word opts out.
    const stop = handleDeliver(wire({ ...from, short_message: Buffer.from('53ea130a', 'hex') }), packedRoute, STOP, now);
    expect(stop.kind === 'events' && stop.events.map((e) => [e.type, e.text])).toEqual([['inbound_message', 'STOP'], ['opt_out', undefined]]);
  });

  it('reads IA5 (data_coding 1) as ASCII, not GSM', () => {
    const pdu = wire({ source_addr_ton: 1, source_addr: '819012345678', data_coding: 1, short_message: Buffer.from('a_b@c$') });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({ events: [{ text: 'a_b@c$' }] });
  });

  it('reads a reply carried in message_payload (sm_length 0), stop word included', () => {
    const long = 'お問い合わせありがとうございます。'.repeat(6); // past one short_message's 140 octets
    const reply = wire({ source_addr_ton: 1, source_addr: '819012345678', data_coding: 8, message_payload: { message: long } });
    expect(handleDeliver(reply, route, STOP, now)).toMatchObject({ kind: 'events', events: [{ type: 'inbound_message', text: long, contentType: 'text' }] });
    const stop = handleDeliver(wire({ source_addr_ton: 1, source_addr: '819012345678', data_coding: 8, message_payload: { message: '配信停止' } }), route, STOP, now);
    expect(stop.kind === 'events' && stop.events.map((e) => e.type)).toEqual(['inbound_message', 'opt_out']);
  });

  it('reads a receipt carried in message_payload without TLVs', () => {
    const pdu = wire({ esm_class: 4, data_coding: 0, message_payload: Buffer.from('id:00AB12 sub:001 dlvrd:001 stat:DELIVRD err:000 text:') });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({ kind: 'events', events: [{ type: 'delivered', providerMessageId: 'ab12' }] });
  });

  it('reads a national source number as Japanese', () => {
    const pdu = wire({ source_addr_ton: 2, source_addr: '09012345678', data_coding: 0, short_message: { message: 'hi' } });
    expect(handleDeliver(pdu, route, STOP, now)).toMatchObject({ events: [{ from: { phoneE164: '+819012345678' } }] });
  });

  it('adds opt_out for stop words (NFKC, trimmed, any case) and not for other texts', () => {
    for (const text of ['STOP', ' ｓｔｏｐ ', '停止', '配信停止']) {
      const out = handleDeliver(wire({ source_addr_ton: 1, source_addr: '819012345678', data_coding: 8, short_message: { message: text } }), route, STOP, now);
      expect(out.kind === 'events' && out.events.map((e) => e.type)).toEqual(['inbound_message', 'opt_out']);
    }
    const out = handleDeliver(wire({ source_addr_ton: 1, source_addr: '819012345678', data_coding: 8, short_message: { message: 'STOP please' } }), route, STOP, now);
    expect(out.kind === 'events' && out.events.map((e) => e.type)).toEqual(['inbound_message']);
  });

  it('gives two MOs with the same text different event ids', () => {
    const a = handleDeliver(wire({ source_addr: '819012345678', short_message: { message: 'yes' } }), route, STOP, now);
    const b = handleDeliver(wire({ source_addr: '819012345678', short_message: { message: 'yes' } }), route, STOP, new Date(now.getTime() + 1));
    expect(a.kind === 'events' && b.kind === 'events' && a.events[0].providerEventId !== b.events[0].providerEventId).toBe(true);
  });
});

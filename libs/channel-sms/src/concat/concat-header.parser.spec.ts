import { handleDeliver } from '../deliver.handler';
import type { SmsRouteConfig } from '../route.selector';
import { newPdu, smpp, SmppPdu } from '../smpp/smpp.types';
import { concatHeaderOf, joinParts } from './concat-header.parser';

const route = { name: 'jp', messageIdMatch: 'as_is' } as SmsRouteConfig;

/** Encodes with the smpp package and decodes the bytes again, as a PDU arrives off the wire. */
function wire(options: Record<string, unknown>): SmppPdu {
  return new smpp.PDU(newPdu('deliver_sm', { sequence_number: 7, source_addr_ton: 1, source_addr: '819012345678', destination_addr: '0005123456', ...options }).toBuffer());
}

const udh8 = (ref: number, total: number, seq: number) => Buffer.from([5, 0x00, 3, ref, total, seq]);
const udh16 = (ref: number, total: number, seq: number) => Buffer.from([6, 0x08, 4, ref >> 8, ref & 0xff, total, seq]);

describe('concatHeaderOf', () => {
  it('reads an 8-bit reference UDH (IE 0x00) and leaves the text without it', () => {
    const pdu = wire({ esm_class: 0x40, data_coding: 8, short_message: { udh: udh8(0xa7, 3, 2), message: 'こんにちは' } });
    expect(concatHeaderOf(pdu)).toEqual({ ref: 0xa7, total: 3, seq: 2 });
    expect(handleDeliver(pdu, route, [])).toMatchObject({ kind: 'part', part: { account: 'jp', ref: 0xa7, total: 3, seq: 2, dataCoding: 8, text: 'こんにちは' } });
  });

  it('reads a 16-bit reference UDH (IE 0x08), after another IE', () => {
    const udh = Buffer.from([12, 0x05, 4, 0x0b, 0x84, 0x23, 0xf0, 0x08, 4, 0x12, 0x34, 2, 1]); // port IE first
    const pdu = wire({ esm_class: 0x40, data_coding: 0, short_message: { udh, message: 'Hello @ £' } });
    expect(concatHeaderOf(pdu)).toEqual({ ref: 0x1234, total: 2, seq: 1 });
    expect(handleDeliver(pdu, route, [])).toMatchObject({ kind: 'part', part: { text: 'Hello @ £', dataCoding: 0 } });
  });

  it('reads the SAR TLVs', () => {
    const pdu = wire({ data_coding: 8, short_message: { message: 'part' }, sar_msg_ref_num: 0xbeef, sar_total_segments: 4, sar_segment_seqnum: 4 });
    expect(concatHeaderOf(pdu)).toEqual({ ref: 0xbeef, total: 4, seq: 4 });
  });

  it.each([
    ['one part of one', udh8(1, 1, 1)],
    ['seq 0', udh8(1, 3, 0)],
    ['seq past total', udh8(1, 3, 4)],
    ['no concatenation IE', Buffer.from([4, 0x05, 2, 0x0b, 0x84])],
  ])('takes %s as a message on its own', (_label, udh) => {
    const pdu = wire({ esm_class: 0x40, data_coding: 8, short_message: { udh, message: 'hi' } });
    expect(concatHeaderOf(pdu)).toBeNull();
    expect(handleDeliver(pdu, route, [])).toMatchObject({ kind: 'events', events: [{ type: 'inbound_message', text: 'hi' }] });
  });

  it('never takes a receipt for a part', () => {
    const pdu = wire({ esm_class: 0x04, short_message: Buffer.from('id:00AB12 sub:001 dlvrd:001 stat:DELIVRD err:000 text:'), sar_msg_ref_num: 1, sar_total_segments: 2, sar_segment_seqnum: 1 });
    expect(handleDeliver(pdu, route, [])).toMatchObject({ kind: 'events', events: [{ type: 'delivered' }] });
  });

  it('leaves parts as messages of their own when told there is nowhere to hold them', () => {
    const pdu = wire({ esm_class: 0x40, data_coding: 8, short_message: { udh: udh8(9, 2, 1), message: 'first' } });
    expect(handleDeliver(pdu, route, [], new Date(), { holdParts: false })).toMatchObject({ kind: 'events', events: [{ type: 'inbound_message', text: 'first' }] });
  });
});

describe('joinParts', () => {
  it('joins in seq order whatever the arrival order, a repeated part once', () => {
    const joined = joinParts([{ seq: 3, text: 'c' }, { seq: 1, text: 'a' }, { seq: 3, text: 'c' }, { seq: 2, text: 'b' }], 3);
    expect(joined).toEqual({ text: 'abc', hasText: true, complete: true, partsReceived: 3 });
  });

  it('says when parts are missing, and keeps what came', () => {
    expect(joinParts([{ seq: 3, text: 'c' }, { seq: 1, text: 'a' }], 3)).toEqual({ text: 'ac', hasText: true, complete: false, partsReceived: 2 });
  });

  it('puts back a surrogate pair the handset split over two UCS-2 parts', () => {
    // Each part decoded on its own, as a UDH part is: the emoji's halves land in different parts.
    const [hi, lo] = ['🙂'.charCodeAt(0), '🙂'.charCodeAt(1)];
    const part = (bytes: number[]) => wire({ esm_class: 0x40, data_coding: 8, short_message: Buffer.from(bytes) });
    const first = part([5, 0, 3, 1, 2, 1, 0x30, 0x42, hi >> 8, hi & 0xff]);
    const second = part([5, 0, 3, 1, 2, 2, lo >> 8, lo & 0xff, 0x30, 0x44]);
    const texts = [first, second].map((p) => {
      const out = handleDeliver(p, route, []);
      return out.kind === 'part' ? out.part.text : null;
    });
    expect(joinParts([{ seq: 2, text: texts[1] }, { seq: 1, text: texts[0] }], 2).text).toBe('あ🙂い');
  });

  it('decodes each part with its own data_coding', () => {
    const gsm = handleDeliver(wire({ esm_class: 0x40, data_coding: 0, short_message: { udh: udh16(300, 2, 1), message: 'Price: €5 ' } }), route, []);
    const ucs2 = handleDeliver(wire({ esm_class: 0x40, data_coding: 8, short_message: { udh: udh16(300, 2, 2), message: 'ありがとう' } }), route, []);
    const parts = [gsm, ucs2].map((o) => (o.kind === 'part' ? { seq: o.part.seq, text: o.part.text } : { seq: 0, text: null }));
    expect(joinParts(parts, 2).text).toBe('Price: €5 ありがとう');
  });

  it('reads packed GSM-7 parts from the septet boundary after their UDH, on a route that says they come packed', () => {
    const packed = { ...route, inboundGsm7: 'packed' } as SmsRouteConfig;
    const part = (udh: Buffer, septetsHex: string) => wire({ esm_class: 0x40, data_coding: 0, short_message: Buffer.concat([udh, Buffer.from(septetsHex, 'hex')]) });
    const textOf = (o: ReturnType<typeof handleDeliver>) => (o.kind === 'part' ? o.part.text : null);
    // 8-bit reference: a 6-octet UDH, so one fill bit before 'hello' ('h' << 1 = 0xd0).
    expect(handleDeliver(part(udh8(7, 2, 1), 'd06536fb0d'), packed, [])).toMatchObject({ kind: 'part', part: { ref: 7, total: 2, seq: 1, text: 'hello' } });
    // 16-bit reference: 7 octets, already on a septet boundary ('hello' packs to e8 32 9b fd 06).
    expect(textOf(handleDeliver(part(udh16(300, 2, 2), 'e8329bfd06'), packed, []))).toBe('hello');
    // A port IE before it: 12 octets of UDH (96 bits), 2 fill bits.
    const ports = Buffer.from([11, 0x05, 4, 0x0b, 0x84, 0x23, 0xf0, 0x00, 3, 9, 2, 1]);
    expect(textOf(handleDeliver(part(ports, 'a0cb6cf61b'), packed, []))).toBe('hello');
    // The same bytes on a route with unpacked replies are not 'hello': the route decides.
    expect(textOf(handleDeliver(part(udh8(7, 2, 1), 'd06536fb0d'), route, []))).not.toBe('hello');
  });

  it('calls a reply with no text in any part no text', () => {
    expect(joinParts([{ seq: 1, text: null }, { seq: 2, text: null }], 2)).toMatchObject({ hasText: false, complete: true });
  });
});

import { decodeGsm7, encodeGsm7, fillBitsAfterUdh, newPdu, packSeptets, smpp, SmppPdu } from '@tsunagu/channel-sms';
import type { ConcatMoRequest, MalformedPduKind } from './smsc.types';

/** Helpers that turn PDUs into records and records into PDUs, for the sandbox SMSC. */

export interface DecodedSubmit {
  udhRef?: number;
  udhTotal?: number;
  udhSeq?: number;
  body: Buffer;
  text: string;
}

function bodyBytes(message: unknown, dataCoding: number): { body: Buffer; text: string } {
  const coding = dataCoding & 0x0f;
  // data_coding 0 comes as its bytes (smpp.types.ts), the unpacked septets an ESME submits.
  if (Buffer.isBuffer(message)) return { body: message, text: coding === 0 ? decodeGsm7(message) : '' };
  const text = typeof message === 'string' ? message : '';
  if (coding === 8) return { body: Buffer.from(text, 'utf16le').swap16(), text };
  if (coding === 3) return { body: Buffer.from(text, 'latin1'), text };
  return { body: smpp.encodings.ASCII.encode(text), text }; // the package reads 1 as GSM-7
}

/** The submit's text as the `smpp` package decoded it, its body bytes, and its concatenation UDH. */
export function decodeSubmit(pdu: SmppPdu): DecodedSubmit {
  const sm = pdu.short_message as { udh?: Buffer[]; message?: unknown } | Buffer | undefined;
  const dataCoding = typeof pdu.data_coding === 'number' ? pdu.data_coding : 0;
  if (!sm || Buffer.isBuffer(sm)) return { body: Buffer.isBuffer(sm) ? sm : Buffer.alloc(0), text: '' };
  const decoded: DecodedSubmit = bodyBytes(sm.message, dataCoding);
  for (const ie of sm.udh ?? []) {
    if (ie[0] === 0x00 && ie.length >= 5) Object.assign(decoded, { udhRef: ie[2], udhTotal: ie[3], udhSeq: ie[4] });
    if (ie[0] === 0x08 && ie.length >= 6) Object.assign(decoded, { udhRef: (ie[2] << 8) | ie[3], udhTotal: ie[4], udhSeq: ie[5] });
  }
  return decoded;
}

const STATES = { DELIVRD: 2, EXPIRED: 3, UNDELIV: 5, REJECTD: 8 } as const;
export type SandboxStat = keyof typeof STATES;

function yymmddhhmm(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

export interface ReceiptSpec {
  receiptId: string;
  stat: SandboxStat;
  /** The handset (the submit's destination) and our sender, swapped as in a real receipt. */
  handset: string;
  sender: string;
  submittedAt: Date;
  textStart: string;
  malformed?: boolean;
  /** The text alone, without the receipted_message_id and message_state TLVs (optional in SMPP 3.4). */
  textOnly?: boolean;
}

/** A delivery receipt deliver_sm: the SMPP 3.4 Appendix B text and the receipted_message_id/message_state TLVs. */
export function receiptPdu(spec: ReceiptSpec): SmppPdu {
  const addresses = {
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: spec.handset,
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: spec.sender,
    esm_class: 0x04,
    data_coding: 0,
  };
  if (spec.malformed) return newPdu('deliver_sm', { ...addresses, short_message: Buffer.from('id: sub:001 stat:', 'ascii') });
  const delivered = spec.stat === 'DELIVRD' ? '001' : '000';
  const err = spec.stat === 'DELIVRD' ? '000' : spec.stat === 'EXPIRED' ? '000' : '001';
  const text =
    `id:${spec.receiptId} sub:001 dlvrd:${delivered} submit date:${yymmddhhmm(spec.submittedAt)} ` +
    `done date:${yymmddhhmm(new Date())} stat:${spec.stat} err:${err} text:${spec.textStart.replace(/[^A-Za-z0-9 ]/g, '').slice(0, 20)}`;
  return newPdu('deliver_sm', {
    ...addresses,
    short_message: Buffer.from(text, 'ascii'),
    ...(spec.textOnly ? {} : { receipted_message_id: spec.receiptId, message_state: STATES[spec.stat] }),
  });
}

/** A mobile-originated deliver_sm; the package picks GSM-7, Latin-1 or UCS-2 for the text. */
export function moPdu(from: string, to: string, text: string): SmppPdu {
  return newPdu('deliver_sm', {
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: from.replace(/^\+/, ''),
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: to,
    esm_class: 0,
    short_message: { message: text },
  });
}

/**
 * The parts of a long reply as a handset's SMSC delivers them: each with a UDH (IE 0x00, 8-bit
 * reference, or IE 0x08, 16-bit) or the sar_* TLVs, in the order and with the repeats asked for.
 */
export function concatMoPdus(mo: ConcatMoRequest): SmppPdu[] {
  const total = mo.parts.length;
  const order = mo.send ?? mo.parts.map((_, i) => i + 1);
  return order.map((seq) => {
    const udh = mo.form === 'udh16' ? Buffer.from([6, 0x08, 4, mo.ref >> 8, mo.ref & 0xff, total, seq]) : Buffer.from([5, 0x00, 3, mo.ref & 0xff, total, seq]);
    // Packed GSM-7 as some SMSCs pass it on: after a UDH, from the next septet boundary.
    const text = mo.packed ? packSeptets(encodeGsm7(mo.parts[seq - 1]), mo.form === 'sar' ? 0 : fillBitsAfterUdh(udh.length)) : mo.parts[seq - 1];
    const header =
      mo.form === 'sar'
        ? { short_message: mo.packed ? text : { message: text }, sar_msg_ref_num: mo.ref, sar_total_segments: total, sar_segment_seqnum: seq }
        : { short_message: mo.packed ? Buffer.concat([udh, text as Buffer]) : { udh, message: text } };
    return newPdu('deliver_sm', {
      service_type: '',
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: mo.from.replace(/^\+/, ''),
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: mo.to,
      esm_class: mo.form === 'sar' ? 0 : 0x40,
      data_coding: mo.packed ? 0 : (mo.dataCoding ?? 8),
      ...header,
    });
  });
}

/** Bytes that break the `smpp` package's reader (BAD-INPUTS row 42). */
export function malformedPdu(kind: MalformedPduKind): Buffer {
  const header = (length: number, commandId: number) => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(length, 0);
    b.writeUInt32BE(commandId, 4);
    b.writeUInt32BE(0, 8);
    b.writeUInt32BE(0x7fff0001, 12);
    return b;
  };
  switch (kind) {
    case 'too_long':
      return header(0x00100000, 0x00000005); // 1 MiB > 16384: the package throws and stops reading
    case 'len8':
      return header(8, 0x00000005).subarray(0, 8); // shorter than a header
    case 'len2':
      return header(2, 0x00000005).subarray(0, 4); // the package waits forever for -2 bytes
    case 'unknown_cmd':
      return header(16, 0x000000ff); // a well-formed PDU of an unknown command: generic_nack expected
    case 'truncated':
      return header(64, 0x00000005).subarray(0, 24); // announces 64 bytes, sends 24
  }
}

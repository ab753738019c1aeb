import { createHash } from 'node:crypto';
import { ChannelEvent } from '@tsunagu/core';
import { concatHeaderOf } from './concat/concat-header.parser';
import type { InboundPart } from './concat/inbound-parts.store';
import { decodeGsm7 } from './encoding/gsm7.alphabet';
import { fillBitsAfterUdh, unpackSeptets } from './encoding/gsm7-packing';
import { MessageIdMode, normalizeMessageId, parseReceipt, ParsedReceipt, ReceiptStat } from './dlr.parser';
import type { SmsRouteConfig } from './route.selector';
import { phoneFrom } from './smpp-address';
import { ESM_CLASS_DELIVERY_RECEIPT, ESM_CLASS_INTERMEDIATE, ESM_CLASS_RECEIPT_MASK, num, shortMessageOf, smpp, SmppPdu, str, udhOctetsOf } from './smpp/smpp.types';

export type DeliverOutcome =
  | { kind: 'events'; events: ChannelEvent[]; receipt?: ParsedReceipt }
  /** One part of a long reply: held until its siblings come (or their time is up), then joined. */
  | { kind: 'part'; part: InboundPart }
  | { kind: 'unparsed'; reason: string; redactedText: string };

const STAT_EVENT: Readonly<Record<ReceiptStat, Pick<ChannelEvent, 'type' | 'reason' | 'permanent'>>> = {
  DELIVRD: { type: 'delivered' },
  UNDELIV: { type: 'failed', reason: 'undeliverable', permanent: true },
  REJECTD: { type: 'failed', reason: 'rejected', permanent: true },
  DELETED: { type: 'failed', reason: 'deleted', permanent: true },
  // The SMSC lost track of it: nothing says another try would fail.
  UNKNOWN: { type: 'failed', reason: 'smsc_unknown', permanent: false },
  EXPIRED: { type: 'expired', reason: 'expired', permanent: false },
  ACCEPTD: { type: 'accepted' },
  ENROUTE: { type: 'accepted' },
};

export function receiptIdMode(route: SmsRouteConfig): MessageIdMode {
  if (route.messageIdMatch === 'hex_decimal') return 'decimal_to_hex';
  if (route.messageIdMatch === 'decimal_hex') return 'hex_to_decimal';
  return 'as_is';
}

/**
 * A handset's text, decoded by its data_coding. GSM-7 (0) comes as the bytes: unpacked septets,
 * or packed ones where the route says its SMSC hands them over so (after a UDH, from the septet
 * boundary that follows it). A string is what the package decoded itself.
 */
function textOfMessage(pdu: SmppPdu, route: SmsRouteConfig): string | null {
  const decoded = shortMessageOf(pdu);
  const { message } = decoded;
  const coding = num(pdu.data_coding) & 0x0f;
  if (typeof message === 'string') {
    // The package decodes IA5 (1) as GSM-7; undo that and read the bytes as ASCII.
    return coding === 1 ? smpp.encodings.ASCII.encode(message).toString('latin1') : message;
  }
  if (!Buffer.isBuffer(message)) return null;
  if (coding === 8) return Buffer.from(message.subarray(0, message.length & ~1)).swap16().toString('utf16le');
  if (coding === 0) {
    return decodeGsm7(route.inboundGsm7 === 'packed' ? unpackSeptets(message, fillBitsAfterUdh(udhOctetsOf(decoded))) : message);
  }
  if (coding === 1 || coding === 3) return message.toString('latin1');
  return null; // binary and other codings carry no text
}

/**
 * The text a receipt is read from: the SMSC's own ASCII (SMPP 3.4 Appendix B), so its bytes as
 * Latin-1 whatever data_coding 0 means for a handset's text on this route. Read as GSM-7, a
 * message id's `_` (0x5F) became `§` and the receipt matched no send.
 */
function receiptTextOf(pdu: SmppPdu): string | null {
  const { message } = shortMessageOf(pdu);
  const coding = num(pdu.data_coding) & 0x0f;
  if (typeof message === 'string') {
    // The package's GSM-7 reading of 0 or 1 undone (it is lossless below 0x80, all a receipt holds).
    return coding === 0 || coding === 1 ? smpp.encodings.ASCII.encode(message).toString('latin1') : message;
  }
  if (!Buffer.isBuffer(message)) return null;
  if (coding === 8) return Buffer.from(message.subarray(0, message.length & ~1)).swap16().toString('utf16le');
  return message.toString('latin1');
}

/** The receipt text without its `text:` field, which quotes the start of the body. */
function redact(text: string): string {
  return text.replace(/text\s*:.*$/is, 'text:[redacted]').replace(/\d{7,}/g, (d) => `${d.slice(0, 2)}***`).slice(0, 300);
}

function isStopWord(text: string, stopWords: readonly string[]): boolean {
  const folded = text.normalize('NFKC').trim().toUpperCase();
  return stopWords.some((w) => w.normalize('NFKC').trim().toUpperCase() === folded);
}

/**
 * Turns a deliver_sm into channel events: a delivery receipt (esm_class 0x04/0x20, or any text that
 * parses as one) becomes accepted/delivered/failed/expired on the part's message id; anything else
 * is a mobile-originated message, plus an opt_out when it is a stop word, or, when it carries a
 * concatenation header (UDH or sar_* TLVs), one part of a longer reply for the caller to hold and
 * join (unless `holdParts` is false: nowhere to hold them). Receipts are never parts. Pure apart from the clock.
 */
export function handleDeliver(
  pdu: SmppPdu,
  route: SmsRouteConfig,
  stopWords: readonly string[],
  now = new Date(),
  opts: { holdParts?: boolean } = {},
): DeliverOutcome {
  const esmClass = num(pdu.esm_class);
  const flagged = [ESM_CLASS_DELIVERY_RECEIPT, ESM_CLASS_INTERMEDIATE].includes(esmClass & ESM_CLASS_RECEIPT_MASK);
  const receiptText = receiptTextOf(pdu);
  const receipt = parseReceipt(
    { short_message: receiptText ?? undefined, receipted_message_id: pdu.receipted_message_id, message_state: pdu.message_state },
    { utcOffsetMinutes: route.receiptUtcOffsetMinutes },
  );
  if (receipt.kind === 'receipt' && (flagged || /\bstat\s*:/i.test(receiptText ?? '') || pdu.receipted_message_id !== undefined)) {
    const id = normalizeMessageId(receipt.messageId, receiptIdMode(route));
    const event: ChannelEvent = {
      channel: 'sms',
      ...STAT_EVENT[receipt.stat],
      providerEventId: `${id}-${receipt.stat.toLowerCase()}`,
      providerMessageId: id,
      account: route.name,
      occurredAt: receipt.doneAt ?? now,
      raw: { stat: receipt.stat, ...(receipt.err ? { err: receipt.err } : {}), esmClass },
    };
    return { kind: 'events', events: [event], receipt };
  }
  // An impossible date is only found once an id and a stat were read: it is a receipt, however
  // it is flagged, and never a handset's message.
  if (flagged || (receipt.kind === 'unparsed' && receipt.reason === 'invalid_date')) {
    return { kind: 'unparsed', reason: receipt.kind === 'unparsed' ? receipt.reason : 'not_a_receipt', redactedText: redact(receiptText ?? '') };
  }

  const text = textOfMessage(pdu, route);
  const header = opts.holdParts === false ? null : concatHeaderOf(pdu);
  if (header) {
    const part: InboundPart = {
      account: route.name,
      sourceAddr: str(pdu.source_addr),
      sourceTon: num(pdu.source_addr_ton),
      destinationAddr: str(pdu.destination_addr),
      ...header,
      dataCoding: num(pdu.data_coding),
      text,
    };
    return { kind: 'part', part };
  }
  const hash = createHash('sha256')
    .update([route.name, str(pdu.source_addr), str(pdu.destination_addr), text ?? '', String(pdu.sequence_number), String(now.getTime())].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
  const mo = { sourceAddr: str(pdu.source_addr), sourceTon: num(pdu.source_addr_ton), recipient: str(pdu.destination_addr), text };
  return { kind: 'events', events: moEvents(route, mo, `mo-${hash}`, now, stopWords, { dataCoding: num(pdu.data_coding), esmClass }) };
}

export interface MobileOriginated {
  sourceAddr: string;
  sourceTon: number;
  recipient: string;
  /** Null when its coding carries no text. */
  text: string | null;
}

/** A reply as the engine takes it: the message, and an opt_out when its whole text is a stop word. */
export function moEvents(
  route: SmsRouteConfig,
  mo: MobileOriginated,
  providerEventId: string,
  occurredAt: Date,
  stopWords: readonly string[],
  raw: Record<string, unknown>,
): ChannelEvent[] {
  const from = phoneFrom(mo.sourceAddr, mo.sourceTon);
  const base = { channel: 'sms', account: route.name, recipient: mo.recipient, occurredAt, ...(from ? { from: { phoneE164: from } } : {}) };
  const body = mo.text ?? '';
  const events: ChannelEvent[] = [
    { ...base, type: 'inbound_message', providerEventId, text: body, contentType: mo.text === null ? 'other' : 'text', raw },
  ];
  if (mo.text !== null && isStopWord(body, stopWords)) events.push({ ...base, type: 'opt_out', providerEventId: `${providerEventId}-opt_out` });
  return events;
}

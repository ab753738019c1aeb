/**
 * Typed view of the parts of the `smpp` package (0.5.1, plain JS, no types) that we use, for both
 * the adapter and the sandbox SMSC. The protocol edge is loosely typed on purpose: a PDU's fields
 * depend on its command, and a malformed PDU may lack any of them.
 */
import type { EventEmitter } from 'node:events';
import type { Server as NetServer, Socket } from 'node:net';

/** A decoded PDU: header fields plus whatever the command's body and TLVs held. */
export interface SmppPdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  isResponse(): boolean;
  response(options?: Record<string, unknown>): SmppPdu;
  toBuffer(): Buffer;
  [field: string]: unknown;
}

export interface SmppSession extends EventEmitter {
  socket: Socket;
  send(pdu: SmppPdu, responseCallback?: (pdu: SmppPdu) => void, sendCallback?: (pdu: SmppPdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
  pause(): void;
  resume(): void;
}

export interface SmppServer extends NetServer {
  sessions: SmppSession[];
}

export interface SmppConnectOptions {
  host: string;
  port: number;
  tls?: boolean;
  /** Passed through to net/tls.connect. */
  [option: string]: unknown;
}

interface SmppEncoding {
  match(value: string): boolean;
  encode(value: string): Buffer;
  decode(value: Buffer): string | Buffer;
}

interface SmppEncodings {
  /** GSM 03.38, unpacked; the package's choice for data_coding 0 and 1. */
  ASCII: SmppEncoding;
  LATIN1: SmppEncoding;
  UCS2: SmppEncoding;
  /** The key of the encoding for data_coding 0 (the package's documented switch). */
  default: string;
}

interface SmppModule {
  connect(options: SmppConnectOptions): SmppSession;
  createServer(options: Record<string, unknown>, listener?: (session: SmppSession) => void): SmppServer;
  /** A command name and fields, or a whole PDU's bytes to decode. */
  PDU: new (command: string | Buffer, options?: Record<string, unknown>) => SmppPdu;
  encodings: SmppEncodings;
  errors: Record<string, number>;
}

export const smpp = require('smpp') as SmppModule;

/**
 * data_coding 0 arrives as its bytes. The package would decode it with its own GSM 03.38 table,
 * which turns every octet of 0x80 and up into a space (packed septets are lost) and reads a
 * receipt's ASCII `_` as `§`, `@` as `¡`: a receipt is the SMSC's ASCII whatever data_coding 0
 * means for a handset's text, so the adapter decides per PDU (deliver.handler.ts). Encoding a
 * string with data_coding 0 stays GSM-7 as before; not enumerable, so the package's `detect`
 * never picks it for a string it encodes. Set once, for every user of the package in the
 * process (the adapter and the sandbox SMSC).
 */
const OCTETS = 'OCTETS';
if (!Object.prototype.hasOwnProperty.call(smpp.encodings, OCTETS)) {
  const octets: SmppEncoding = {
    match: () => false,
    encode: (value) => smpp.encodings.ASCII.encode(value),
    decode: (value) => Buffer.from(value),
  };
  Object.defineProperty(smpp.encodings, OCTETS, { value: octets, enumerable: false });
}
smpp.encodings.default = OCTETS;

export function newPdu(command: string, options: Record<string, unknown> = {}): SmppPdu {
  return new smpp.PDU(command, options);
}

export const ESME = {
  ROK: 0x00,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RSYSERR: 0x08,
  RINVMSGID: 0x0c,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RCANCELFAIL: 0x11,
  RTHROTTLED: 0x58,
  /** Temporary application error: the peer should try the PDU again later. */
  RX_T_APPN: 0x64,
} as const;

export const ESM_CLASS_RECEIPT_MASK = 0x3c;
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
export const ESM_CLASS_INTERMEDIATE = 0x20;
export const ESM_CLASS_UDHI = 0x40;

/**
 * short_message as the package decoded it ({ udh, message }), or the raw buffer. `message` is a
 * string for data_coding 1, 3 and 8 (and 0 under a national language shift UDH), the bytes for
 * data_coding 0 and anything the package has no table for.
 */
export interface DecodedShortMessage {
  udh?: Buffer[];
  message?: string | Buffer;
}

/** Octets the UDH took, its length octet included (0 without one): where packed septets start. */
export function udhOctetsOf(decoded: DecodedShortMessage): number {
  // The package sets `udh` (an empty list for a UDH of length 0) only when esm_class says there is one.
  return Array.isArray(decoded.udh) ? 1 + decoded.udh.reduce((n, ie) => n + ie.length, 0) : 0;
}

/**
 * The user data of a deliver_sm: short_message, or the message_payload TLV when short_message is
 * empty (SMPP 3.4 §5.3.2.32: sm_length 0 when the payload rides in the TLV, as long replies and
 * some SMSCs' receipts do). The package decodes an empty short_message to `{ message: '' }`, so
 * presence alone does not tell which one holds the text.
 */
export function shortMessageOf(pdu: SmppPdu): DecodedShortMessage {
  const short = decodedOf(pdu.short_message);
  const payload = decodedOf(pdu.message_payload);
  return (short.message?.length ?? 0) === 0 && payload.message !== undefined ? payload : short;
}

function decodedOf(value: unknown): DecodedShortMessage {
  if (Buffer.isBuffer(value) || typeof value === 'string') return { message: value };
  if (value && typeof value === 'object') return value as DecodedShortMessage;
  return {};
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

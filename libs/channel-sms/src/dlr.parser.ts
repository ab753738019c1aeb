/**
 * SMPP delivery receipts (deliver_sm with esm_class 0x04). The TLVs receipted_message_id and
 * message_state are authoritative when present; otherwise the de-facto text format of SMPP 3.4
 * Appendix B: `id:X sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
 * err:000 text:...`. Carriers vary it (case, missing fields, extra spaces), so the parser is
 * tolerant, and it never throws: a receipt it cannot read is reported as `unparsed`. Tolerant of
 * shape, not of nonsense: a submit or done date that is not a real date (`2913301261`: month 13,
 * minute 61) says the SMSC wrote garbage, so its stat is not trusted either (BAD-INPUTS row 38).
 */

export const RECEIPT_STATS = ['DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD', 'DELETED', 'UNKNOWN', 'ACCEPTD', 'ENROUTE'] as const;
export type ReceiptStat = (typeof RECEIPT_STATS)[number];

export interface ParsedReceipt {
  kind: 'receipt';
  messageId: string;
  stat: ReceiptStat;
  err?: string;
  doneAt?: Date;
}

export interface UnparsedReceipt {
  kind: 'unparsed';
  reason: 'no_text' | 'missing_id' | 'invalid_id' | 'missing_stat' | 'unknown_stat' | 'invalid_date';
}

export type ReceiptParseResult = ParsedReceipt | UnparsedReceipt;

/** What the parser reads from a deliver_sm; the `smpp` package hands short_message decoded or raw. */
export interface ReceiptPduLike {
  short_message?: Buffer | string | { message?: Buffer | string | unknown } | null;
  message_payload?: Buffer | string | { message?: Buffer | string | unknown } | null;
  receipted_message_id?: unknown;
  message_state?: unknown;
  esm_class?: unknown;
}

export interface ReceiptParseOptions {
  /** The SMSC's clock offset from UTC for the text dates (JST = 540). Default 0. */
  utcOffsetMinutes?: number;
}

// message_state TLV (SMPP 3.4 §5.2.28) → the text stat.
const STATE_TO_STAT: Readonly<Record<number, ReceiptStat>> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

// Full words some SMSCs write instead of the 7-letter codes.
const STAT_ALIASES: Readonly<Record<string, ReceiptStat>> = {
  DELIVERED: 'DELIVRD',
  UNDELIVERABLE: 'UNDELIV',
  UNDELIVERED: 'UNDELIV',
  REJECTED: 'REJECTD',
  ACCEPTED: 'ACCEPTD',
  EXPIRD: 'EXPIRED',
};

const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

function textOf(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'object' && 'message' in value) return textOf((value as { message?: unknown }).message);
  return null;
}

function statOf(raw: string | undefined): ReceiptStat | null {
  if (!raw) return null;
  const upper = raw.toUpperCase();
  if ((RECEIPT_STATS as readonly string[]).includes(upper)) return upper as ReceiptStat;
  return STAT_ALIASES[upper] ?? null;
}

/** YYMMDDhhmm[ss] → Date, or undefined when any field is out of range. */
function dateOf(raw: string | undefined, offsetMinutes: number): Date | undefined {
  if (!raw || !/^\d{10}(\d{2})?$/.test(raw)) return undefined;
  const [yy, mm, dd, hh, mi] = [0, 2, 4, 6, 8].map((i) => Number(raw.slice(i, i + 2)));
  const ss = raw.length === 12 ? Number(raw.slice(10, 12)) : 0;
  if (mm < 1 || mm > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return undefined;
  const ms = Date.UTC(2000 + yy, mm - 1, dd, hh, mi, ss) - offsetMinutes * 60_000;
  const date = new Date(ms);
  // Reject 31 February and friends: the date must not have rolled over.
  if (new Date(ms + offsetMinutes * 60_000).getUTCDate() !== dd) return undefined;
  return date;
}

function field(text: string, name: string): string | undefined {
  // `name:` at a word start (so `stat:` is found anywhere), value up to the next space.
  const re = new RegExp(`(?:^|[\\s,;])${name}\\s*:\\s*([^\\s,;]*)`, 'i');
  const value = re.exec(text)?.[1];
  // `id: sub:001`: the spaces led us into the next field, so this one is empty.
  return value === undefined || value.includes(':') ? undefined : value;
}

function tlvState(value: unknown): ReceiptStat | null {
  return typeof value === 'number' && Number.isInteger(value) ? (STATE_TO_STAT[value] ?? null) : null;
}

function tlvId(value: unknown): string | null {
  const text = textOf(value);
  if (text == null) return null;
  const trimmed = text.replace(/\0+$/, '').trim();
  return trimmed || null;
}

/** Reads a delivery receipt. Never throws. */
export function parseReceipt(pdu: ReceiptPduLike | null | undefined, opts: ReceiptParseOptions = {}): ReceiptParseResult {
  try {
    return parse(pdu ?? {}, opts.utcOffsetMinutes ?? 0);
  } catch {
    // Belt and braces: the parse is written not to throw, but a receipt must never crash a bind.
    return { kind: 'unparsed', reason: 'no_text' };
  }
}

function parse(pdu: ReceiptPduLike, offset: number): ReceiptParseResult {
  const text = textOf(pdu.short_message) || textOf(pdu.message_payload) || '';
  const idFromTlv = tlvId(pdu.receipted_message_id);
  const statFromTlv = tlvState(pdu.message_state);
  if (!text.trim() && !(idFromTlv && statFromTlv)) return { kind: 'unparsed', reason: 'no_text' };

  const idText = field(text, 'id');
  const messageId = idFromTlv ?? idText;
  if (!messageId) return { kind: 'unparsed', reason: 'missing_id' };
  if (!ID_RE.test(messageId)) return { kind: 'unparsed', reason: 'invalid_id' };

  const statText = field(text, 'stat');
  let stat = statFromTlv;
  if (!stat) {
    if (!statText) return { kind: 'unparsed', reason: 'missing_stat' };
    stat = statOf(statText);
    if (!stat) return { kind: 'unparsed', reason: 'unknown_stat' };
  }

  // A date field left out (or empty) is fine: the engine stamps its own receipt time instead.
  const submitDate = field(text, 'submit\\s*date');
  const doneDate = field(text, 'done\\s*date');
  const doneAt = dateOf(doneDate, offset);
  if ((submitDate && !dateOf(submitDate, offset)) || (doneDate && !doneAt)) return { kind: 'unparsed', reason: 'invalid_date' };

  const result: ParsedReceipt = { kind: 'receipt', messageId, stat };
  const err = field(text, 'err');
  if (err && /^[A-Za-z0-9]{1,8}$/.test(err)) result.err = err;
  if (doneAt) result.doneAt = doneAt;
  return result;
}

export type MessageIdMode = 'as_is' | 'hex_to_decimal' | 'decimal_to_hex';

/**
 * One form for SMSC message ids so a receipt matches its submit: trimmed, lower-cased, leading
 * zeros stripped. Some SMSCs answer submit_sm_resp in hex and write the receipt id in decimal;
 * the route's `messageIdMatch` converts one side. An id that does not parse in the expected base
 * is returned in the plain normalised form.
 */
export function normalizeMessageId(id: string, mode: MessageIdMode = 'as_is'): string {
  const plain = String(id).trim().toLowerCase().replace(/^0+(?=.)/, '');
  try {
    if (mode === 'hex_to_decimal' && /^[0-9a-f]{1,32}$/.test(plain)) return BigInt(`0x${plain}`).toString(10);
    if (mode === 'decimal_to_hex' && /^[0-9]{1,40}$/.test(plain)) return BigInt(plain).toString(16);
  } catch {
    // fall through to the plain form
  }
  return plain;
}

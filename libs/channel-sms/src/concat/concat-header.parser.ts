import { ESM_CLASS_UDHI, num, shortMessageOf, SmppPdu } from '../smpp/smpp.types';

/** Which part of a long message a deliver_sm carries (GSM 03.40 §9.2.3.24.1, SMPP 3.4 §5.3.2.22-24). */
export interface ConcatHeader {
  /** The sender's reference for the whole message: 8 or 16 bits. */
  ref: number;
  total: number;
  /** 1-based. */
  seq: number;
}

const IEI_CONCAT_8 = 0x00;
const IEI_CONCAT_16 = 0x08;

function valid(ref: number, total: number, seq: number): ConcatHeader | null {
  // One part of one is a whole message; a seq outside 1..total cannot be placed, so that part is
  // delivered on its own rather than held for siblings that cannot exist.
  if (total < 2 || seq < 1 || seq > total) return null;
  return { ref, total, seq };
}

function fromUdh(elements: Buffer[]): ConcatHeader | null {
  for (const ie of elements) {
    if (!Buffer.isBuffer(ie) || ie.length < 2) continue;
    if (ie[0] === IEI_CONCAT_8 && ie[1] === 3 && ie.length >= 5) return valid(ie[2], ie[3], ie[4]);
    if (ie[0] === IEI_CONCAT_16 && ie[1] === 4 && ie.length >= 6) return valid(ie.readUInt16BE(2), ie[4], ie[5]);
  }
  return null;
}

/**
 * The concatenation header of a mobile-originated deliver_sm: a UDH (esm_class 0x40) with IE 0x00
 * or 0x08, else the sar_* TLVs. Null for a message that stands alone. The `smpp` package has
 * already split the UDH off the user data, so the text the caller decodes is the part's own.
 */
export function concatHeaderOf(pdu: SmppPdu): ConcatHeader | null {
  if (num(pdu.esm_class) & ESM_CLASS_UDHI) {
    const { udh } = shortMessageOf(pdu);
    const header = Array.isArray(udh) ? fromUdh(udh) : null;
    if (header) return header;
  }
  const [ref, total, seq] = [pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum];
  if (typeof ref === 'number' && typeof total === 'number' && typeof seq === 'number') return valid(ref, total, seq);
  return null;
}

export interface StoredPart {
  seq: number;
  /** Null for a part whose coding carries no text (binary). */
  text: string | null;
}

export interface JoinedText {
  text: string;
  /** False when no part had text: the message is `other` content, as a lone binary MO is. */
  hasText: boolean;
  complete: boolean;
  partsReceived: number;
}

/**
 * The parts in seq order, each already decoded with its own data_coding. Text is joined as UTF-16
 * code units, so a surrogate pair a handset split over two parts comes back whole.
 */
export function joinParts(parts: readonly StoredPart[], total: number): JoinedText {
  const bySeq = new Map<number, StoredPart>();
  for (const p of parts) if (!bySeq.has(p.seq)) bySeq.set(p.seq, p);
  const ordered = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return {
    text: ordered.map((p) => p.text ?? '').join(''),
    hasText: ordered.some((p) => p.text !== null),
    complete: ordered.length === total,
    partsReceived: ordered.length,
  };
}

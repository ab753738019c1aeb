import { randomInt } from 'node:crypto';
import { encodeGsm7, gsmSeptets } from './gsm7.alphabet';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsPlanOptions {
  /** The most segments one message may take (a route setting; 10 by default). */
  maxSegments?: number;
  /** Use the 16-bit concatenation reference (6-byte UDH), which costs one unit per segment. */
  udh16?: boolean;
}

export interface SmsPlan {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Capacity of one segment: 160/70 single, 153/67 concatenated (152/66 with a 16-bit reference). */
  perSegment: number;
  /** Units still free in the last segment. */
  remainingInLast: number;
  fits: boolean;
  /** The most units a message may have with `maxSegments`. */
  limit: number;
}

export interface SmsSplit {
  encoding: SmsEncoding;
  dataCoding: 0 | 8;
  /** The short_message bytes of each part, each with its UDH when there is more than one part. */
  parts: Buffer[];
}

export interface SmsSplitOptions extends SmsPlanOptions {
  /** The concatenation reference; random when omitted. */
  reference?: number;
}

/** Thrown by splitSms when the text needs more segments than allowed. */
export class SmsTooLongError extends RangeError {
  constructor(readonly plan: SmsPlan) {
    super(`text needs ${plan.segments} segments, the limit is ${plan.limit} units`);
    this.name = 'SmsTooLongError';
  }
}

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const CONCAT = { gsm7: 153, ucs2: 67 } as const;

/**
 * A token is what must never be split across segments: a GSM extension character (escape + char,
 * 2 septets) or a UTF-16 surrogate pair (2 units). Everything else is 1 unit.
 */
function tokenize(text: string): { encoding: SmsEncoding; tokens: string[]; sizes: number[] } {
  const tokens = Array.from(text); // iterates by code point, so surrogate pairs stay together
  const gsm = tokens.map(gsmSeptets);
  if (gsm.every((s) => s > 0)) return { encoding: 'gsm7', tokens, sizes: gsm };
  return { encoding: 'ucs2', tokens, sizes: tokens.map((t) => t.length) };
}

/** Greedy packing that never splits a token; returns each segment's token range. */
function pack(sizes: number[], capacity: number): { start: number; end: number; used: number }[] {
  const segments: { start: number; end: number; used: number }[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (used + sizes[i] > capacity) {
      segments.push({ start, end: i, used });
      start = i;
      used = 0;
    }
    used += sizes[i];
  }
  segments.push({ start, end: sizes.length, used });
  return segments;
}

function layout(text: string, opts: SmsPlanOptions) {
  const maxSegments = Math.max(1, Math.floor(opts.maxSegments ?? 10));
  const { encoding, tokens, sizes } = tokenize(text);
  const units = sizes.reduce((a, b) => a + b, 0);
  const concat = CONCAT[encoding] - (opts.udh16 ? 1 : 0);
  const single = units <= SINGLE[encoding];
  const perSegment = single ? SINGLE[encoding] : concat;
  const segments = single ? [{ start: 0, end: tokens.length, used: units }] : pack(sizes, concat);
  const last = segments[segments.length - 1];
  const plan: SmsPlan = {
    encoding,
    units,
    segments: segments.length,
    perSegment,
    remainingInLast: perSegment - last.used,
    fits: segments.length <= maxSegments,
    limit: maxSegments === 1 ? SINGLE[encoding] : maxSegments * concat,
  };
  return { plan, tokens, segments };
}

/** How a text will be sent: encoding, segments and room left. Pure; never throws. */
export function planSms(text: string, opts: SmsPlanOptions = {}): SmsPlan {
  return layout(text, opts).plan;
}

function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function udh(reference: number, total: number, seq: number, udh16: boolean): Buffer {
  return udh16
    ? Buffer.from([0x06, 0x08, 0x04, (reference >> 8) & 0xff, reference & 0xff, total, seq])
    : Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, seq]);
}

/**
 * The bytes to submit: GSM-7 as unpacked septets (data_coding 0) or UCS-2 as UTF-16BE
 * (data_coding 8), each part prefixed with a concatenation UDH when there is more than one part.
 * The caller sets esm_class 0x40 (UDHI) for multipart. Throws SmsTooLongError past maxSegments.
 */
export function splitSms(text: string, opts: SmsSplitOptions = {}): SmsSplit {
  const { plan, tokens, segments } = layout(text, opts);
  if (!plan.fits) throw new SmsTooLongError(plan);
  const encode = plan.encoding === 'gsm7' ? encodeGsm7 : encodeUcs2;
  const dataCoding = plan.encoding === 'gsm7' ? 0 : 8;
  if (segments.length === 1) return { encoding: plan.encoding, dataCoding, parts: [encode(text)] };
  const udh16 = opts.udh16 ?? false;
  const reference = opts.reference ?? randomInt(udh16 ? 0x10000 : 0x100);
  const parts = segments.map((s, i) =>
    Buffer.concat([
      udh(reference, segments.length, i + 1, udh16),
      encode(tokens.slice(s.start, s.end).join('')),
    ]),
  );
  return { encoding: plan.encoding, dataCoding, parts };
}

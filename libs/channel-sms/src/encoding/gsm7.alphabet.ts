/**
 * GSM 03.38 (3GPP TS 23.038) default alphabet and its extension table. Over SMPP we send GSM-7 as
 * unpacked septets (one byte per septet, data_coding 0), which is what SMSCs take; packing into
 * 7 bits is the radio side's job.
 */

// Index = septet value. 0x1B is the escape to the extension table, not a character we send.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension characters: each is sent as ESC (0x1B) + this septet, so it counts 2 septets. */
const EXTENSION: Readonly<Record<string, number>> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
};

export const GSM_ESCAPE = 0x1b;

const basicEncode = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== GSM_ESCAPE) basicEncode.set(BASIC[i], i);
const extensionDecode = new Map<number, string>(Object.entries(EXTENSION).map(([c, s]) => [s, c]));

/** Septets one character takes in GSM-7: 1, 2 (extension table), or 0 when it is not in GSM-7. */
export function gsmSeptets(char: string): 0 | 1 | 2 {
  if (basicEncode.has(char)) return 1;
  if (char in EXTENSION) return 2;
  return 0;
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (gsmSeptets(char) === 0) return false;
  return true;
}

/** Encodes GSM-7 text as unpacked septets. Throws on a character outside GSM-7 (call isGsm7 first). */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const char of text) {
    const basic = basicEncode.get(char);
    if (basic !== undefined) out.push(basic);
    else if (char in EXTENSION) out.push(GSM_ESCAPE, EXTENSION[char]);
    else throw new RangeError('character outside the GSM 03.38 alphabet');
  }
  return Buffer.from(out);
}

/** Decodes unpacked septets; bytes that are no septet (>= 0x80) or unknown escapes become '?'. */
export function decodeGsm7(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === GSM_ESCAPE) {
      const next = bytes[i + 1];
      i++;
      out += next === undefined ? '' : (extensionDecode.get(next) ?? '?');
    } else {
      out += b < 0x80 ? BASIC[b] : '?';
    }
  }
  return out;
}

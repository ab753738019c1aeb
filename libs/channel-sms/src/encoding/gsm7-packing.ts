/**
 * Packed GSM-7 (3GPP TS 23.038 §6.1.2.1): septets laid end to end, least significant bit first,
 * 8 septets in 7 octets. Most SMSCs hand data_coding 0 over SMPP unpacked (one septet per octet)
 * and we send it so; some hand mobile-originated text over packed as it came off the air, which
 * a route says with `inboundGsm7: 'packed'`.
 *
 * After a user data header the septets start on a septet boundary counted from the start of the
 * user data (TS 23.040 §9.2.3.24): `fillBits` zero bits follow the header first.
 */

/** The fill bits between a UDH of `udhOctets` octets (UDHL included) and the first septet. */
export function fillBitsAfterUdh(udhOctets: number): number {
  return udhOctets > 0 ? (7 - ((udhOctets * 8) % 7)) % 7 : 0;
}

const CR = 0x0d;

/**
 * The septets in `octets`, skipping `fillBits` leading bits. SMPP gives the length in octets, not
 * septets, so when the last 7 bits could be padding (the bits left are a whole septet) a final
 * <CR> or zero septet there is taken as padding and dropped: TS 23.038 pads those 7 bits with
 * <CR> (a <CR> the sender meant is then doubled, so one stays), and encoders that pad with zeros
 * would otherwise add an `@` to the end of the text.
 */
export function unpackSeptets(octets: Buffer, fillBits = 0): Buffer {
  const bits = octets.length * 8 - fillBits;
  if (bits < 7) return Buffer.alloc(0);
  const count = Math.floor(bits / 7);
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i++) {
    const at = fillBits + i * 7;
    const byte = at >> 3;
    const shift = at & 7;
    // Two octets hold every septet; the second is absent only past the end (its bits are not read).
    const pair = octets[byte] | ((octets[byte + 1] ?? 0) << 8);
    out[i] = (pair >> shift) & 0x7f;
  }
  const padding = bits % 7 === 0 && (out[count - 1] === CR || out[count - 1] === 0);
  return padding ? out.subarray(0, count - 1) : out;
}

/** Packs septets (each < 0x80) after `fillBits` zero bits; a stand-in SMSC's side of the above. */
export function packSeptets(septets: Buffer, fillBits = 0): Buffer {
  const bits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  septets.forEach((septet, i) => {
    const at = fillBits + i * 7;
    const pair = (septet & 0x7f) << (at & 7);
    out[at >> 3] |= pair & 0xff;
    if (pair > 0xff) out[(at >> 3) + 1] |= pair >> 8;
  });
  // Seven spare bits would read as one more septet (`@`): TS 23.038 fills them with <CR>.
  if (bits % 8 === 1) out[out.length - 1] |= CR << 1;
  return out;
}

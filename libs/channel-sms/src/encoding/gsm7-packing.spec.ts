import { decodeGsm7, encodeGsm7 } from './gsm7.alphabet';
import { fillBitsAfterUdh, packSeptets, unpackSeptets } from './gsm7-packing';

const unpack = (hex: string, fill = 0) => decodeGsm7(unpackSeptets(Buffer.from(hex, 'hex'), fill));

describe('packed GSM-7', () => {
  it('reads the published vectors (3GPP TS 23.038 style, no UDH)', () => {
    expect(unpack('e8329bfd4697d9ec37')).toBe('hellohello');
    expect(unpack('c8f71d14969741f977fd07')).toBe('How are you?');
  });

  it('counts the fill bits that put the first septet after a UDH on a septet boundary', () => {
    expect(fillBitsAfterUdh(0)).toBe(0);
    expect(fillBitsAfterUdh(6)).toBe(1); // 05 00 03 rr tt ss: 48 bits, one fill bit
    expect(fillBitsAfterUdh(7)).toBe(0); // 06 08 04 rr rr tt ss: 56 bits, none
    expect(fillBitsAfterUdh(13)).toBe(1); // a port IE and a 16-bit concatenation IE: 104 bits
    expect(fillBitsAfterUdh(5)).toBe(2);
  });

  it('reads the septets after a 6-octet UDH from the bit after its fill bit', () => {
    // Packed by hand (one fill bit, then the septets LSB first): 'h' 0x68 << 1 = 0xd0, ...
    expect(unpack('d06536fb0d', 1)).toBe('hello');
    expect(unpack('906536fb0d0280023516685e2e83f2ef3a', 1)).toBe('Hello @ £5, see you');
    // The same octets read without the fill bit are another text: the fill bit matters.
    expect(unpack('d06536fb0d', 0)).not.toBe('hello');
  });

  it('drops the <CR> (or zero) padding of 7 spare bits, and keeps a <CR> the sender doubled', () => {
    expect(unpack('31d98c56b3dd1a')).toBe('1234567'); // 7 septets, <CR> in the spare 7 bits
    expect(unpack('31d98c56b3dd00')).toBe('1234567'); // zero-padded by a lax encoder: no trailing '@'
    // A <CR> the sender meant on that boundary is sent doubled (TS 23.038 §6.1.2.1.1): it stays.
    expect(decodeGsm7(unpackSeptets(packSeptets(encodeGsm7('1234567\r\r'))))).toBe('1234567\r\r');
    // Anywhere else a final <CR> or '@' is the sender's.
    expect(decodeGsm7(unpackSeptets(packSeptets(encodeGsm7('abc\r'))))).toBe('abc\r');
    expect(decodeGsm7(unpackSeptets(packSeptets(encodeGsm7('mail@'))))).toBe('mail@');
  });

  it('reads escapes (extension table) once unpacked, and packs what it unpacks, with and without fill bits', () => {
    for (const text of ['Price: €5 {ok} [x]', 'a', 'exactly8', 'ΔΦΓ@£$_', 'x'.repeat(152)]) {
      for (const fill of [0, 1, 2, 6]) {
        expect([text, fill, decodeGsm7(unpackSeptets(packSeptets(encodeGsm7(text), fill), fill))]).toEqual([text, fill, text]);
      }
    }
  });

  it('reads nothing from fewer bits than a septet', () => {
    expect(unpackSeptets(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(unpackSeptets(Buffer.from([0xff]), 2)).toEqual(Buffer.alloc(0));
  });
});

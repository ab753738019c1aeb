import { decodeGsm7, encodeGsm7, isGsm7 } from './gsm7.alphabet';
import { planSms, splitSms, SmsTooLongError } from './sms-encoding.planner';

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Removes the UDH and decodes a UCS-2 part back to a JS string. */
function ucs2Body(part: Buffer, multipart: boolean): string {
  const body = multipart ? part.subarray(part[0] + 1) : part;
  return Buffer.from(body).swap16().toString('utf16le');
}

function gsmBody(part: Buffer, multipart: boolean): string {
  return decodeGsm7(multipart ? part.subarray(part[0] + 1) : part);
}

describe('GSM 03.38 alphabet', () => {
  it('round-trips the basic and extension tables', () => {
    const text = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà{}[]~^\\|€\f';
    expect(isGsm7(text)).toBe(true);
    expect(decodeGsm7(encodeGsm7(text))).toBe(text);
  });

  it('encodes extension characters as escape + septet', () => {
    expect([...encodeGsm7('€')]).toEqual([0x1b, 0x65]);
    expect([...encodeGsm7('{')]).toEqual([0x1b, 0x28]);
    expect([...encodeGsm7('@')]).toEqual([0x00]);
  });

  it('does not count the bare escape, backtick or half-width katakana as GSM', () => {
    expect(isGsm7('\u001b')).toBe(false);
    expect(isGsm7('`')).toBe(false);
    expect(isGsm7('ｱｲｳ')).toBe(false);
  });
});

describe('planSms', () => {
  it('plans plain ASCII as one GSM-7 segment up to 160 septets', () => {
    expect(planSms('a'.repeat(160))).toMatchObject({ encoding: 'gsm7', units: 160, segments: 1, perSegment: 160, remainingInLast: 0, fits: true });
    expect(planSms('a'.repeat(161))).toMatchObject({ segments: 2, perSegment: 153, remainingInLast: 145 });
  });

  it('counts extension characters as two septets', () => {
    expect(planSms('{}[]~^\\|€\f')).toMatchObject({ encoding: 'gsm7', units: 20, segments: 1 });
    expect(planSms('€'.repeat(80)).segments).toBe(1);
    expect(planSms('€'.repeat(81)).segments).toBe(2);
  });

  it('allows 1530 GSM characters in 10 segments and refuses 1531', () => {
    expect(planSms('x'.repeat(1530))).toMatchObject({ segments: 10, fits: true, limit: 1530 });
    expect(planSms('x'.repeat(1531))).toMatchObject({ segments: 11, fits: false, limit: 1530 });
  });

  it('allows 670 Japanese characters in 10 segments and refuses 671', () => {
    expect(planSms('あ'.repeat(670))).toMatchObject({ encoding: 'ucs2', units: 670, segments: 10, fits: true, limit: 670 });
    expect(planSms('あ'.repeat(671))).toMatchObject({ segments: 11, fits: false });
  });

  it('plans UCS-2 up to 70 units single and 67 concatenated', () => {
    expect(planSms('あ'.repeat(70))).toMatchObject({ segments: 1, perSegment: 70, remainingInLast: 0 });
    expect(planSms('あ'.repeat(71))).toMatchObject({ segments: 2, perSegment: 67, remainingInLast: 63 });
  });

  it('uses 152/66 with the 16-bit reference', () => {
    expect(planSms('x'.repeat(1520), { udh16: true })).toMatchObject({ segments: 10, perSegment: 152, fits: true, limit: 1520 });
    expect(planSms('あ'.repeat(661), { udh16: true })).toMatchObject({ segments: 11, fits: false, limit: 660 });
  });

  it('counts surrogate pairs as two units', () => {
    expect(planSms('承認コード🔐 123456')).toMatchObject({ encoding: 'ucs2', units: 14, segments: 1 });
    expect(planSms('👨‍👩‍👧').units).toBe(8);
    expect(planSms('🇯🇵').units).toBe(4);
  });

  it('sends half-width katakana as UCS-2', () => {
    expect(planSms('ｱｲｳ ｶﾞ').encoding).toBe('ucs2');
  });

  it('honours maxSegments', () => {
    expect(planSms('x'.repeat(200), { maxSegments: 1 })).toMatchObject({ fits: false, limit: 160 });
    expect(planSms('x'.repeat(300), { maxSegments: 2 })).toMatchObject({ fits: true, limit: 306 });
  });
});

describe('splitSms', () => {
  it('sends a single GSM-7 part without UDH', () => {
    const split = splitSms('Hello @ world');
    expect(split).toMatchObject({ encoding: 'gsm7', dataCoding: 0 });
    expect(split.parts).toHaveLength(1);
    expect(decodeGsm7(split.parts[0])).toBe('Hello @ world');
  });

  it('prefixes each part with an 8-bit concatenation UDH', () => {
    const split = splitSms('y'.repeat(400), { reference: 0x2a });
    expect(split.parts).toHaveLength(3);
    split.parts.forEach((p, i) => expect([...p.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 0x2a, 3, i + 1]));
    expect(split.parts.map((p) => gsmBody(p, true)).join('')).toBe('y'.repeat(400));
    expect(split.parts[0].length).toBe(6 + 153);
  });

  it('uses the 16-bit reference UDH when asked', () => {
    const split = splitSms('z'.repeat(200), { udh16: true, reference: 0x1234 });
    expect([...split.parts[1].subarray(0, 7)]).toEqual([0x06, 0x08, 0x04, 0x12, 0x34, 2, 2]);
    expect(split.parts[0].length).toBe(7 + 152);
  });

  it('never splits an extension character across segments', () => {
    // 152 plain septets, then '€' (2 septets) would straddle the 153 boundary.
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(20);
    const split = splitSms(text, { reference: 1 });
    expect(split.parts).toHaveLength(2);
    const first = split.parts[0].subarray(6);
    expect(first.length).toBe(152);
    expect(first[first.length - 1]).not.toBe(0x1b);
    expect(split.parts.map((p) => gsmBody(p, true)).join('')).toBe(text);
  });

  it('encodes UCS-2 as UTF-16BE with data_coding 8', () => {
    const split = splitSms('承認コード🔐 123456');
    expect(split).toMatchObject({ encoding: 'ucs2', dataCoding: 8 });
    expect(split.parts[0].subarray(0, 2)).toEqual(Buffer.from([0x62, 0x7f]));
    expect(ucs2Body(split.parts[0], false)).toBe('承認コード🔐 123456');
  });

  it.each([
    ['emoji', '🔐'],
    ['ZWJ family', '👨‍👩‍👧'],
    ['flag', '🇯🇵'],
  ])('never leaves a high surrogate at the end of a part (%s at the boundary)', (_name, emoji) => {
    let sawShortSegment = false;
    for (let pad = 60; pad <= 70; pad++) {
      const text = 'あ'.repeat(pad) + emoji.repeat(20) + 'い'.repeat(5);
      const split = splitSms(text, { reference: 7 });
      for (const part of split.parts) {
        const body = part.subarray(part[0] + 1);
        expect(body.length % 2).toBe(0);
        expect(isHighSurrogate(body.readUInt16BE(body.length - 2))).toBe(false);
        const first = body.readUInt16BE(0);
        expect(first >= 0xdc00 && first <= 0xdfff).toBe(false); // no part starts with a lone low surrogate
        expect(body.length / 2).toBeLessThanOrEqual(67);
      }
      expect(split.parts.map((p) => ucs2Body(p, true)).join('')).toBe(text);
      expect(split.parts.length).toBe(planSms(text).segments);
      if (split.parts.some((p) => (p.length - 6) / 2 === 66)) sawShortSegment = true;
    }
    expect(sawShortSegment).toBe(true); // a pair really met a boundary and moved whole
  });

  it('sends 670 Japanese characters as 10 parts of 67 with one reference', () => {
    const text = 'テ'.repeat(670);
    const split = splitSms(text);
    expect(split.parts).toHaveLength(10);
    const refs = new Set(split.parts.map((p) => p[3]));
    expect(refs.size).toBe(1);
    split.parts.forEach((p) => expect(p.length).toBe(6 + 67 * 2));
  });

  it('refuses a text past the segment limit', () => {
    expect(() => splitSms('あ'.repeat(671))).toThrow(SmsTooLongError);
    expect(() => splitSms('x'.repeat(1531))).toThrow(SmsTooLongError);
  });
});

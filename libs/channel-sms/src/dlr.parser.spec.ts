import { randomBytes } from 'node:crypto';
import { normalizeMessageId, parseReceipt, RECEIPT_STATS } from './dlr.parser';

const VALID = 'id:0A1B2C3D sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello';

/** A deterministic PRNG so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('parseReceipt', () => {
  it('reads the standard text format', () => {
    expect(parseReceipt({ short_message: Buffer.from(VALID) })).toEqual({
      kind: 'receipt',
      messageId: '0A1B2C3D',
      stat: 'DELIVRD',
      err: '000',
      doneAt: new Date(Date.UTC(2024, 0, 1, 12, 1)),
    });
  });

  it('reads the decoded form the smpp package hands over, and plain strings', () => {
    expect(parseReceipt({ short_message: { message: VALID } })).toMatchObject({ kind: 'receipt', stat: 'DELIVRD' });
    expect(parseReceipt({ short_message: VALID })).toMatchObject({ kind: 'receipt', messageId: '0A1B2C3D' });
  });

  it('lets the TLVs win over the text', () => {
    const r = parseReceipt({ short_message: VALID, receipted_message_id: 'FFEE', message_state: 5 });
    expect(r).toMatchObject({ kind: 'receipt', messageId: 'FFEE', stat: 'UNDELIV' });
  });

  it('accepts a receipt made of TLVs only', () => {
    expect(parseReceipt({ receipted_message_id: '42\0', message_state: 3 })).toEqual({ kind: 'receipt', messageId: '42', stat: 'EXPIRED' });
  });

  it('maps every message_state 1..8', () => {
    const stats = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => {
      const r = parseReceipt({ receipted_message_id: 'a', message_state: s });
      return r.kind === 'receipt' ? r.stat : r.reason;
    });
    expect(stats).toEqual(['ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD']);
  });

  it('tolerates case, extra spaces, missing fields and stat anywhere', () => {
    expect(parseReceipt({ short_message: 'ID:77   STAT:undeliv   ERR:001' })).toMatchObject({ kind: 'receipt', messageId: '77', stat: 'UNDELIV', err: '001' });
    expect(parseReceipt({ short_message: 'stat:EXPIRED id:abc' })).toMatchObject({ messageId: 'abc', stat: 'EXPIRED' });
    expect(parseReceipt({ short_message: 'id: 12345 stat: REJECTED' })).toMatchObject({ messageId: '12345', stat: 'REJECTD' });
    expect(parseReceipt({ short_message: 'id:9 done date:240229235959 stat:DELIVRD' })).toMatchObject({
      doneAt: new Date(Date.UTC(2024, 1, 29, 23, 59, 59)),
    });
  });

  it('applies the SMSC clock offset to the done date', () => {
    const r = parseReceipt({ short_message: 'id:9 done date:2401010900 stat:DELIVRD' }, { utcOffsetMinutes: 540 });
    expect(r).toMatchObject({ doneAt: new Date(Date.UTC(2024, 0, 1, 0, 0)) });
  });

  it.each([
    ['empty id and stat', 'id: sub:001 stat:', 'missing_id'],
    ['missing id', 'sub:001 dlvrd:001 stat:DELIVRD err:000', 'missing_id'],
    ['unknown stat', 'id:123 stat:FOO', 'unknown_stat'],
    ['no stat', 'id:123 sub:001', 'missing_stat'],
    ['CSV carrier format', '0A1B2C3D,DELIVRD,000,2401011200', 'missing_id'],
    ['non-ASCII id', 'id:配信 stat:DELIVRD', 'invalid_id'],
    ['empty', '', 'no_text'],
  ])('reports %s as unparsed', (_name, text, reason) => {
    expect(parseReceipt({ short_message: Buffer.from(text) })).toEqual({ kind: 'unparsed', reason });
  });

  it.each([
    ['both dates impossible (2913301261: month 13, minute 61)', 'id:5 submit date:2913301261 done date:2913301261 stat:DELIVRD'],
    ['the done date only', 'id:5 submit date:2401011200 done date:2913301261 stat:DELIVRD'],
    ['the submit date only', 'id:5 submit date:2913301261 done date:2401011201 stat:DELIVRD'],
    ['30 February', 'id:5 done date:2402300000 stat:DELIVRD'],
    ['25 o\'clock', 'id:5 done date:2401012500 stat:DELIVRD'],
    ['a date that is not YYMMDDhhmm[ss]', 'id:5 done date:24-01-01 stat:DELIVRD'],
  ])('reports a receipt whose date is not a real date as unparsed (%s), even with its TLVs', (_name, text) => {
    expect(parseReceipt({ short_message: text })).toEqual({ kind: 'unparsed', reason: 'invalid_date' });
    expect(parseReceipt({ short_message: text, receipted_message_id: '5', message_state: 2 })).toEqual({ kind: 'unparsed', reason: 'invalid_date' });
  });

  it('reads a receipt without dates, or with an empty one, and takes no date from it', () => {
    expect(parseReceipt({ short_message: 'id:5 stat:DELIVRD' })).toEqual({ kind: 'receipt', messageId: '5', stat: 'DELIVRD' });
    expect(parseReceipt({ short_message: 'id:5 stat:DELIVRD done date:' })).toEqual({ kind: 'receipt', messageId: '5', stat: 'DELIVRD' });
  });

  it('ignores an out-of-range message_state and falls back to the text', () => {
    expect(parseReceipt({ short_message: VALID, message_state: 99 })).toMatchObject({ stat: 'DELIVRD' });
    expect(parseReceipt({ receipted_message_id: 'x', message_state: 0 })).toMatchObject({ kind: 'unparsed' });
  });

  it('never throws on odd shapes', () => {
    const odd: unknown[] = [null, undefined, {}, { short_message: null }, { short_message: { message: 5 } }, { short_message: {} },
      { receipted_message_id: {}, message_state: 'x' }, { short_message: Buffer.alloc(0), message_payload: Buffer.from(VALID) }];
    for (const pdu of odd) expect(() => parseReceipt(pdu as never)).not.toThrow();
    expect(parseReceipt({ message_payload: { message: VALID } })).toMatchObject({ kind: 'receipt' });
  });

  it('never throws on 5,000 fuzzed inputs (random bytes and mutated receipts)', () => {
    const rand = prng(20240601);
    const alphabet = 'id:stat sub dlvrd date err text DELIVRD 0123456789 \u0000\uffff配信,;:';
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      let input: Buffer | string;
      if (i % 2 === 0) {
        input = randomBytes(Math.floor(rand() * 200));
      } else {
        const chars = VALID.split('');
        const edits = 1 + Math.floor(rand() * 6);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rand() * (chars.length + 1));
          const op = rand();
          if (op < 0.33) chars.splice(at, 1);
          else if (op < 0.66) chars.splice(at, 0, alphabet[Math.floor(rand() * alphabet.length)]);
          else chars[at] = alphabet[Math.floor(rand() * alphabet.length)];
        }
        input = chars.join('');
      }
      const state = rand() < 0.2 ? Math.floor(rand() * 12) - 1 : undefined;
      const result = parseReceipt({ short_message: input, message_state: state, receipted_message_id: rand() < 0.1 ? input : undefined });
      expect(['receipt', 'unparsed']).toContain(result.kind);
      if (result.kind === 'receipt') {
        parsed++;
        expect(RECEIPT_STATS).toContain(result.stat);
        expect(result.messageId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
        if (result.doneAt) expect(Number.isNaN(result.doneAt.getTime())).toBe(false);
      }
    }
    expect(parsed).toBeGreaterThan(100); // the mutations kept enough receipts readable to mean something
  });
});

describe('normalizeMessageId', () => {
  it('trims, lower-cases and strips leading zeros', () => {
    expect(normalizeMessageId('  000A1B ')).toBe('a1b');
    expect(normalizeMessageId('0000')).toBe('0');
    expect(normalizeMessageId('abc-01')).toBe('abc-01');
  });

  it('converts between hex and decimal for routes that mix them', () => {
    expect(normalizeMessageId('00FF', 'hex_to_decimal')).toBe('255');
    expect(normalizeMessageId('255', 'decimal_to_hex')).toBe('ff');
    expect(normalizeMessageId('18446744073709551615', 'decimal_to_hex')).toBe('ffffffffffffffff');
    expect(normalizeMessageId('xyz', 'hex_to_decimal')).toBe('xyz');
  });
});

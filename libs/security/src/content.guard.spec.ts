import { DomainError } from '@tsunagu/core';
import {
  assertNoSensitiveData,
  findCardNumber,
  findMyNumber,
  hasCardPrefix,
  isMyNumber,
  luhnValid,
  myNumberCheckDigit,
} from './content.guard';

function refusal(text: string): DomainError {
  try {
    assertNoSensitiveData(text);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('Luhn and prefixes', () => {
  it('validates Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  it.each([
    ['4111111111111111', true], // Visa
    ['5105105105105100', true], // Mastercard 51–55
    ['2221000000000009', true], // Mastercard 2-series
    ['378282246310005', true], // Amex
    ['3530111333300000', true], // JCB
    ['30569309025904', true], // Diners 300–305
    ['6011111111111117', true], // Discover
    ['6200000000000005', true], // UnionPay
    ['1234567812345670', false],
    ['9999999999999995', false],
    ['2720999999999996', true],
    ['2721000000000004', false],
  ])('prefix of %s is a card prefix: %s', (digits, expected) => {
    expect(hasCardPrefix(digits)).toBe(expected);
  });
});

describe('findCardNumber', () => {
  it('row 9: finds 4111 1111 1111 1111 with its offset', () => {
    expect(findCardNumber('Card 4111 1111 1111 1111 please')).toBe(5);
    expect(findCardNumber('4111-1111-1111-1111')).toBe(0);
    expect(findCardNumber('4111111111111111')).toBe(0);
  });

  it('row 9: finds full-width digits and hyphens, offset in the original string', () => {
    const text = 'カード番号：４１１１-１１１１-１１１１-１１１１です';
    expect(findCardNumber(text)).toBe(6);
    expect(findCardNumber('番号 ４１１１－１１１１－１１１１－１１１１')).toBe(3);
  });

  it('maps offsets past characters that NFKC expands or that are astral', () => {
    // '㍻' NFKC → '平成' (1 → 2 chars), '😀' is 2 code units: offsets must still be original ones.
    const text = '㍻😀 4111 1111 1111 1111';
    expect(findCardNumber(text)).toBe(text.indexOf('4111'));
  });

  it('finds 19-digit cards (Visa, UnionPay) and 13-digit ones', () => {
    expect(findCardNumber('x 4111 1111 1111 1111 110')).toBe(2);
    expect(findCardNumber('6212345678901234569')).toBe(0);
    expect(findCardNumber('4222222222222')).toBe(0); // 13-digit Visa test number
    expect(findCardNumber('41111111111111111101')).toBeNull(); // 20 unbroken digits
  });

  it('catches a card followed by a CVV or other group', () => {
    expect(findCardNumber('4111 1111 1111 1111 123')).toBe(0);
    expect(findCardNumber('ref 12 4111 1111 1111 1111')).toBe(7);
  });

  it('row 11: accepts a 16-digit non-Luhn order id and ordinary numbers', () => {
    expect(findCardNumber('Order 4111111111111112 shipped')).toBeNull();
    expect(findCardNumber('Order 1234567890123456 shipped')).toBeNull();
    expect(findCardNumber('2024-12-31 10:00 ¥1,234,567 tel 090-1234-5678 / 03-1234-5678')).toBeNull();
    expect(findCardNumber('承認コード 123456 有効期限 5分')).toBeNull();
  });

  it('never cuts into an unbroken digit run', () => {
    // a valid card number glued into a longer id is not reported
    expect(findCardNumber('99994111111111111111')).toBeNull();
  });

  it('reads through characters a phone shows as nothing: zero-width space, soft hyphen, word joiner, BOM, keycaps', () => {
    // Each shows on the handset as an unbroken (or keycap) 4111111111111111.
    for (const hidden of ['\u200B', '\u200C', '\u200D', '\u00AD', '\u2060', '\uFEFF', '\u200E']) {
      expect([hidden.codePointAt(0), findCardNumber(`カード ${['4111', '1111', '1111', '1111'].join(hidden)}`)]).toEqual([hidden.codePointAt(0), 4]);
    }
    expect(findCardNumber('41\u200B11 1111 1111 1111')).toBe(0);
    expect(findCardNumber('4111 \u200B1111 1111 1111')).toBe(0);
    expect(findCardNumber([...'4111111111111111'].map((d) => `${d}\uFE0F\u20E3`).join(''))).toBe(0);
    expect(findMyNumber('番号 1234\u200B5678\u200B9018')).toBe(3);
  });

  it('takes dots, slashes, a tab and the katakana middle dot as separators, in either width', () => {
    for (const text of ['4111.1111.1111.1111', '4111/1111/1111/1111', '4111\t1111\t1111\t1111', '4111・1111・1111・1111', '４１１１．１１１１．１１１１．１１１１', '4111／1111／1111／1111', '4111･1111･1111･1111']) {
      expect(findCardNumber(text)).toBe(0);
    }
    expect(findMyNumber('1234.5678.9018')).toBe(0);
    // Dates, versions and addresses side by side stay ordinary numbers: a run keeps one kind of
    // separator (joined, `2 3 192 168 10 1 2024…` would pass as a Mastercard)...
    expect(findCardNumber('2024.12.31 v1.2.3 192.168.10.1 2024/12/31 10.30')).toBeNull();
    // ...and a card right after one is still found.
    expect(findCardNumber('2024-12-31 4111 1111 1111 1111')).toBe(11);
    expect(findCardNumber('2024.12.31 4111.1111.1111.1111')).toBe(11);
  });

  it('allows only single separators between groups', () => {
    expect(findCardNumber('4111  1111  1111  1111')).toBeNull();
    expect(findCardNumber('4111 -1111 -1111 -1111')).toBeNull();
  });
});

describe('My Number', () => {
  it('computes the check digit by hand for 1234 5678 9018', () => {
    // 1·6 + 2·5 + 3·4 + 4·3 + 5·2 + 6·7 + 7·6 + 8·5 + 9·4 + 0·3 + 1·2
    const sum = 6 + 10 + 12 + 12 + 10 + 42 + 42 + 40 + 36 + 0 + 2;
    expect(sum).toBe(212);
    expect(sum % 11).toBe(3);
    expect(11 - (sum % 11)).toBe(8);
    expect(myNumberCheckDigit('12345678901')).toBe(8);
    expect(isMyNumber('123456789018')).toBe(true);
    expect(isMyNumber('123456789019')).toBe(false);
  });

  it('check digit is 0 when the remainder is 0 or 1', () => {
    // 00000000000 → sum 0 → 0;  10000000000 → 6 mod 11 = 6 → 5;  find a remainder-1 case:
    expect(myNumberCheckDigit('00000000000')).toBe(0);
    expect(myNumberCheckDigit('10000000000')).toBe(5);
    // 2·6 = 12 → remainder 1 → check 0
    expect(myNumberCheckDigit('20000000000')).toBe(0);
  });

  it('row 10: finds 1234 5678 9018 with its offset', () => {
    expect(findMyNumber('番号は 1234 5678 9018 です')).toBe(4);
    expect(findMyNumber('123456789018')).toBe(0);
    expect(findMyNumber('１２３４－５６７８－９０１８')).toBe(0);
  });

  it('row 11: accepts a failing check digit, and 12 digits inside longer runs', () => {
    expect(findMyNumber('1234 5678 9019')).toBeNull();
    expect(findMyNumber('1234567890181')).toBeNull();
    expect(findMyNumber('9123456789018')).toBeNull();
    expect(findMyNumber('1234 5678 9018 7')).toBeNull();
  });
});

describe('assertNoSensitiveData', () => {
  it('row 9: refuses card numbers with the offset only', () => {
    const text = 'Your card 4111 1111 1111 1111 is active';
    const err = refusal(text);
    expect(err.code).toBe('BODY_CONTAINS_CARD_NUMBER');
    expect(err.details).toEqual({ offset: 10 });
    expect(JSON.stringify([err.message, err.details])).not.toMatch(/4111|1111/);
    expect(refusal('４１１１-１１１１-１１１１-１１１１').code).toBe('BODY_CONTAINS_CARD_NUMBER');
  });

  it('row 10: refuses a valid My Number', () => {
    const err = refusal('1234 5678 9018');
    expect(err.code).toBe('BODY_CONTAINS_MY_NUMBER');
    expect(err.details).toEqual({ offset: 0 });
  });

  it('reports the card first when both are present', () => {
    expect(refusal('1234 5678 9018 and 4111111111111111').code).toBe('BODY_CONTAINS_CARD_NUMBER');
  });

  it('row 11: accepts negative controls', () => {
    for (const text of [
      '1234 5678 9019',
      'Order 4111111111111112',
      '2024/12/31 までに ¥12,000 をお支払いください。お問い合わせ 0120-123-456',
      '承認コード🔐 123456',
    ]) {
      expect(() => assertNoSensitiveData(text)).not.toThrow();
    }
  });
});

import { DomainError } from '@tsunagu/core';
import { assertCanReceiveSms, isDomestic, parsePhone, type ParsedPhone } from './phone.parser';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

/** The raw value must not leak into the message or the details (they reach logs and clients). */
function expectInvalidWithoutEcho(raw: unknown): DomainError {
  const err = refusal(() => parsePhone(raw));
  expect(err.code).toBe('INVALID_PHONE_NUMBER');
  expect(err.status).toBe(422);
  if (typeof raw === 'string' && raw.replace(/\D/g, '').length >= 3) {
    const serialised = JSON.stringify({ m: err.message, d: err.details });
    expect(serialised).not.toContain(raw);
    expect(serialised).not.toContain(raw.replace(/\D/g, ''));
  }
  return err;
}

describe('parsePhone', () => {
  describe('BAD-INPUTS row 1: one person, one canonical number', () => {
    it.each([
      '+81 90-1234-5678',
      '09012345678',
      '+8109012345678', // trunk 0 after the country code
      '０９０１２３４５６７８', // full-width digits
      '＋８１ ９０－１２３４－５６７８', // full-width plus, hyphen and ideographic space
      '090-1234-5678',
      '(090) 1234-5678',
      '090.1234.5678',
      '+81 (0)90 1234 5678',
      '090‐1234‐5678', // U+2010 hyphen
      ' 090-1234-5678 ',
    ])('%j → +819012345678', (raw) => {
      const p = parsePhone(raw);
      expect(p).toEqual({ e164: '+819012345678', country: 'JP', type: 'MOBILE', national: '090-1234-5678' });
    });

    it('reads other countries when written with +', () => {
      expect(parsePhone('+1 415 555 2671')).toMatchObject({ e164: '+14155552671', country: 'US' });
      expect(parsePhone('+44 7911 123456').e164).toBe('+447911123456');
    });
  });

  it('row 2: refuses a control character that the library alone would accept', () => {
    expect(expectInvalidWithoutEcho('090-1234-5678\u0000').details).toEqual({ reason: 'invalid_characters' });
    expectInvalidWithoutEcho('090-1234\t-5678');
    expectInvalidWithoutEcho('090-1234-5678\u007f');
    expectInvalidWithoutEcho('\u202e090-1234-5678');
  });

  it.each(['090 1234 5678 ext. 12', '09012345678;ext=1', '09012345678 x12', '09012345678#12', '090-1234-5678 内線12'])(
    'row 3: refuses the extension in %j',
    (raw) => {
      expectInvalidWithoutEcho(raw);
    },
  );

  it('row 4 (documented decision): a leading 81 without + is refused as ambiguous', () => {
    for (const raw of ['81 90 1234 5678', '819012345678', '８１９０１２３４５６７８']) {
      const err = expectInvalidWithoutEcho(raw);
      expect(err.details).toEqual({ reason: 'ambiguous_country_code' });
      expect(err.message).toContain('+81');
    }
  });

  it.each([
    ['+81901234567', 'too short'],
    ['+819012345678901', 'too long'],
    ['', 'empty'],
    ['   ', 'blank'],
    ['+', 'a lone plus'],
    ['1'.repeat(300), '300 digits'],
    ['9'.repeat(31), '31 digits'],
    ['+81+9012345678', 'a second plus'],
    ['090-abcd-5678', 'letters'],
    ['0000000000', 'no such number'],
  ])('row 5: refuses %j (%s) without echoing it', (raw) => {
    expectInvalidWithoutEcho(raw);
  });

  it('refuses non-strings', () => {
    for (const raw of [undefined, null, 9012345678, ['09012345678'], { e164: '+819012345678' }]) {
      expect(refusal(() => parsePhone(raw)).details).toEqual({ reason: 'not_a_string' });
    }
  });

  it('classifies Japanese number types', () => {
    expect(parsePhone('0120-123-456').type).toBe('TOLL_FREE');
    expect(parsePhone('0570-000-000').type).toBe('UAN');
    expect(parsePhone('050-1234-5678').type).toBe('VOIP');
    expect(parsePhone('020-1234-5678').type).toBe('PAGER');
    expect(parsePhone('+81 3-1234-5678')).toMatchObject({ type: 'FIXED_LINE', e164: '+81312345678', national: '03-1234-5678' });
    expect(parsePhone('070-1234-5678').type).toBe('MOBILE');
    expect(parsePhone('080-1234-5678').type).toBe('MOBILE');
  });
});

describe('assertCanReceiveSms', () => {
  it.each([
    ['0120-123-456', 'TOLL_FREE'],
    ['0570-000-000', 'UAN'],
    ['050-1234-5678', 'VOIP'],
    ['020-1234-5678', 'PAGER'],
    ['+81 3-1234-5678', 'FIXED_LINE'],
  ])('row 6: refuses %j (%s)', (raw, numberType) => {
    const err = refusal(() => assertCanReceiveSms(parsePhone(raw)));
    expect(err.code).toBe('NUMBER_CANNOT_RECEIVE_SMS');
    expect(err.details).toEqual({ numberType });
  });

  it('passes mobiles and FIXED_LINE_OR_MOBILE (e.g. US numbers)', () => {
    expect(() => assertCanReceiveSms(parsePhone('090-1234-5678'))).not.toThrow();
    expect(() => assertCanReceiveSms(parsePhone('+1 415 555 2671'))).not.toThrow();
  });

  it('refuses an unknown type', () => {
    const p: ParsedPhone = { e164: '+819012345678', country: 'JP', type: undefined, national: '' };
    expect(refusal(() => assertCanReceiveSms(p)).details).toEqual({ numberType: 'UNKNOWN' });
  });
});

describe('isDomestic', () => {
  it('is true for JP only', () => {
    expect(isDomestic(parsePhone('090-1234-5678'))).toBe(true);
    expect(isDomestic(parsePhone('+1 415 555 2671'))).toBe(false);
  });
});

import { REDACTED, redactObject, redactPii } from './pii.redactor';

describe('redactPii', () => {
  it.each([
    ['to +819012345678 now', 'to +81 90-****-5678 now'],
    ['to +81 90-1234-5678.', 'to +81 90-****-5678.'],
    ['tel:090-1234-5678', 'tel:+81 90-****-5678'],
    ['09012345678 failed', '+81 90-****-5678 failed'],
    ['(03)1234-5678', '+81 3-****-5678'],
    ['０９０－１２３４－５６７８', '+81 90-****-5678'],
    ['＋８１９０１２３４５６７８', '+81 90-****-5678'],
    ['US +1 415 555 2671', 'US +1 41-****-2671'],
    ['a=+819012345678&b=+818012345678', 'a=+81 90-****-5678&b=+81 80-****-5678'],
  ])('%j → %j', (input, expected) => {
    expect(redactPii(input)).toBe(expected);
  });

  it('never leaves the middle digits of a phone number', () => {
    const out = redactPii('call 090-1234-5678 or +81 80 8765 4321 or 0312345678');
    expect(out).not.toMatch(/1234|8765|123456/);
  });

  it.each([
    'order 20240101090012345678 done', // digits glued on both sides: an id
    'ref 12309012345678', // ends like a mobile number, but it is one 14-digit id
    'at 2024-12-31T10:00:00+09:00',
    'amount ¥1,234,567',
    'code 123456',
    '01-01-2024',
    'message id 0a1b2c3d',
  ])('leaves %j alone', (text) => {
    expect(redactPii(text)).toBe(text);
  });
});

describe('redactObject', () => {
  it('masks phone keys, drops content and credential keys, scrubs other strings', () => {
    const input = {
      to: '+819012345678',
      from: '09012345678',
      msisdn: '819012345678', // SMPP: international digits without '+'
      destination_addr: '819012345678',
      phoneNumber: '+81 3-1234-5678',
      text: 'Your code is 123456',
      body: { nested: 'whole body dropped' },
      short_message: 'hi',
      Authorization: 'Bearer tsk_abc',
      'x-api-key': 'tsk_abc',
      clientSecret: 's',
      accessToken: 't',
      password: 'p',
      status: 'DELIVRD',
      error: 'could not reach 090-1234-5678',
      total: 3,
      toString: 'not a phone key',
    };
    expect(redactObject(input)).toEqual({
      to: '+81 90-****-5678',
      from: '+81 90-****-5678',
      msisdn: '+81 90-****-5678',
      destination_addr: '+81 90-****-5678',
      phoneNumber: '+81 3-****-5678',
      text: REDACTED,
      body: REDACTED,
      short_message: REDACTED,
      Authorization: REDACTED,
      'x-api-key': REDACTED,
      clientSecret: REDACTED,
      accessToken: REDACTED,
      password: REDACTED,
      status: 'DELIVRD',
      error: 'could not reach +81 90-****-5678',
      total: 3,
      toString: 'not a phone key',
    });
  });

  it('drops non-phone values under phone keys (a LINE user id identifies a person too)', () => {
    expect(redactObject({ to: 'U4af4980629abcdef', from: 12345678901, phone: ['09012345678', 'x'] })).toEqual({
      to: REDACTED,
      from: REDACTED,
      phone: ['+81 90-****-5678', REDACTED],
    });
  });

  it('does not modify the input', () => {
    const input = { to: '+819012345678', list: [{ text: 'secret body' }] };
    const copy = JSON.parse(JSON.stringify(input));
    const out = redactObject(input) as typeof input;
    expect(input).toEqual(copy);
    expect(out.list[0].text).toBe(REDACTED);
    expect(out.list).not.toBe(input.list);
  });

  it('walks real provider payloads (LINE webhook shape)', () => {
    const payload = {
      destination: 'Uxxxxxxxx',
      events: [{ type: 'message', message: { type: 'text', id: '1', text: '090-1234-5678 に電話して' }, source: { userId: 'U1' } }],
    };
    const out = JSON.stringify(redactObject(payload));
    expect(out).not.toContain('1234');
    expect(out).not.toContain('電話');
  });

  it('handles cycles, depth, big arrays, and odd values', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a];
    expect(redactObject(a)).toEqual({ name: 'a', self: '[circular]', list: ['[circular]'] });

    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { child: deep };
    expect(JSON.stringify(redactObject(deep, { maxDepth: 3 }))).toBe('{"child":{"child":{"child":"[depth]"}}}');

    const shared = { v: 1 };
    expect(redactObject({ x: shared, y: shared })).toEqual({ x: { v: 1 }, y: { v: 1 } }); // not a cycle

    expect(redactObject(Array.from({ length: 5 }, (_, i) => i), { maxArrayLength: 2 })).toEqual([0, 1, '[3 more]']);
    expect(
      redactObject({
        when: new Date('2024-01-01T00:00:00Z'),
        raw: Buffer.from('+819012345678'),
        big: 10n,
        fn: () => 1,
        map: new Map([['to', '+819012345678']]),
        err: new Error('to 09012345678'),
      }),
    ).toEqual({
      when: '2024-01-01T00:00:00.000Z',
      raw: '[binary 13 bytes]',
      big: '10',
      fn: undefined,
      map: { to: '+81 90-****-5678' },
      err: { name: 'Error', message: 'to +81 90-****-5678' },
    });
  });

  it('accepts extra keys to drop', () => {
    expect(redactObject({ userId: 'U1', keep: 'k' }, { extraKeys: ['user_id'] })).toEqual({ userId: REDACTED, keep: 'k' });
  });

  it('passes primitives through (strings scrubbed)', () => {
    expect(redactObject('call 09012345678')).toBe('call +81 90-****-5678');
    expect(redactObject(null)).toBeNull();
    expect(redactObject(7)).toBe(7);
  });
});

import { phoneFrom, sourceAddressesOf } from './smpp-address';

describe('the number in an SMSC source address, and back', () => {
  it('reads international and Japanese national forms', () => {
    expect(phoneFrom('819012345678', 1)).toBe('+819012345678');
    expect(phoneFrom('+819012345678', 0)).toBe('+819012345678');
    expect(phoneFrom('09012345678', 2)).toBe('+819012345678');
    expect(phoneFrom('14155552671', 0)).toBe('+14155552671');
    expect(phoneFrom('12345', 1)).toBeUndefined();
    expect(phoneFrom('ACME', 5)).toBeUndefined();
  });

  it.each(['+819012345678', '+14155552671', '+447700900123'])('lists every address read as %s, and only those', (e164) => {
    const forms = sourceAddressesOf(e164);
    const digits = e164.slice(1);
    const candidates = [digits, `+${digits}`, `0${digits.slice(2)}`, `00${digits}`, `0${digits}`, digits.slice(2), `+0${digits.slice(2)}`, `810${digits.slice(2)}`];
    for (const c of candidates) {
      const readAs = [0, 1, 2, 3, 5].some((ton) => phoneFrom(c, ton) === e164);
      expect([c, readAs]).toEqual([c, forms.includes(c)]);
    }
    expect(forms.every((f) => candidates.includes(f))).toBe(true);
  });
});

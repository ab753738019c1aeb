import { maskDigits, maskPhone } from './phone.mask';

describe('maskPhone', () => {
  it.each([
    ['+819012345678', '+81 90-****-5678'],
    ['+81312345678', '+81 3-****-5678'], // 9 national digits: only one head digit
    ['+14155552671', '+1 41-****-2671'],
    ['+447911123456', '+44 79-****-3456'],
    ['+8612345678901', '+86 12-*****-8901'],
  ])('%s → %s', (e164, masked) => {
    expect(maskPhone(e164)).toBe(masked);
  });

  it('keeps at least four digits hidden and shows at most the last four, for any length', () => {
    for (let n = 6; n <= 14; n++) {
      const national = '123456789012345'.slice(0, n);
      const masked = maskDigits(national);
      const shown = masked.replace(/[^0-9]/g, '');
      expect((masked.match(/\*/g) ?? []).length).toBeGreaterThanOrEqual(4);
      expect(n - shown.length).toBeGreaterThanOrEqual(4);
      const tail = masked.split('-').pop() as string;
      if (/^\d+$/.test(tail)) {
        expect(tail.length).toBeLessThanOrEqual(4);
        expect(national.endsWith(tail)).toBe(true);
      }
    }
  });

  it('never returns the input for things that are not E.164', () => {
    for (const bad of ['09012345678', '', '+', 'abc', '+0123456789', '+81 90 1234 5678']) {
      expect(maskPhone(bad)).toBe('[phone]');
    }
  });
});

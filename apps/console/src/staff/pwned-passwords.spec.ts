import { rangeLists, rangeQuery } from './pwned-passwords';

describe('Pwned Passwords range queries', () => {
  it('send only the first five hex digits of the SHA-1, uppercase, and look for the rest', () => {
    // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
    expect(rangeQuery('password')).toEqual({ prefix: '5BAA6', suffix: '1E4C9B93F3F0682250B6CF8331B7EE68FD8' });
  });

  it('find a listed suffix, and ignore the padding lines counted 0', () => {
    const suffix = '1E4C9B93F3F0682250B6CF8331B7EE68FD8';
    expect(rangeLists(`0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${suffix}:9659365\r\n011053FD0102E94D6AE2F8B83D76FAF94F6:1`, suffix)).toBe(true);
    expect(rangeLists(`0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${suffix}:0\r\n`, suffix)).toBe(false);
    expect(rangeLists(`${suffix.toLowerCase()}:3`, suffix)).toBe(true);
    expect(rangeLists('', suffix)).toBe(false);
  });
});

import { ClientAddressKeys, addressGroup } from './client-address';

describe('addressGroup', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['', 'unknown'],
    [undefined, 'unknown'],
    ['not an address', 'unknown'],
  ])('%s is counted as %s', (ip, group) => {
    expect(addressGroup(ip)).toBe(group);
  });

  it('counts every address of one IPv6 /64 as one place, and another /64 apart', () => {
    expect(addressGroup('2001:db8:5:6::1')).toBe(addressGroup('2001:db8:5:6:ffff:1:2:3'));
    expect(addressGroup('2001:db8:5:6::1')).not.toBe(addressGroup('2001:db8:5:7::1'));
  });
});

describe('ClientAddressKeys', () => {
  const key = Buffer.alloc(32, 3).toString('base64');

  it('keys an address by an HMAC that names neither the address nor its group, the same each time', () => {
    const keys = new ClientAddressKeys(key);
    const k = keys.of('203.0.113.7');
    expect(k).toBe(keys.of('::ffff:203.0.113.7'));
    expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(k).not.toContain('203');
    expect(keys.of('203.0.113.8')).not.toBe(k);
  });

  it('gives another key under another data key, so the table cannot be matched against a list of addresses', () => {
    expect(new ClientAddressKeys(Buffer.alloc(32, 4).toString('base64')).of('203.0.113.7')).not.toBe(new ClientAddressKeys(key).of('203.0.113.7'));
  });
});

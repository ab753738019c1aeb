import { addressAllowed, parseNetworks } from './address-allowlist';

describe('API key address allowlists', () => {
  it('reads networks and bare addresses the one way', () => {
    expect(parseNetworks([' 203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '', '203.0.113.0/24'])).toEqual(['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32']);
  });

  it.each(['203.0.113.0/33', '2001:db8::/129', 'example.com', '10.0.0.0/8/1', '10.0.0/8', '10.0.0.0/x', '10.0.0.0/-1'])('refuses %s', (entry) => {
    expect(() => parseNetworks([entry])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('caps the list', () => {
    expect(() => parseNetworks(Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`))).toThrow(/At most 20/);
  });

  it('admits an address inside a network, IPv4-mapped IPv6 included; anything with no list', () => {
    const nets = parseNetworks(['10.0.0.0/8', '2001:db8::/32']);
    expect(['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::5', '11.0.0.1', '::1', 'garbage', undefined].map((ip) => addressAllowed(ip, nets))).toEqual([
      true, true, true, false, false, false, false,
    ]);
    expect(addressAllowed('192.0.2.1', [])).toBe(true);
  });
});

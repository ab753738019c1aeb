import { DomainError } from '@tsunagu/core';
import { assertCallbackUrlAllowed, isPublicAddress, type HostLookup } from './callback-url.guard';

/**
 * A stand-in for the OS resolver (not for our code): fixed answers, so the tests never touch real
 * DNS. Unknown names fail the way getaddrinfo does.
 */
const ZONE: Record<string, string[]> = {
  'crm.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebind.example': ['10.0.0.5'],
  'mixed.example': ['93.184.215.14', '127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'mapped.example': ['::ffff:192.168.1.10'],
  'ula.example': ['fd00::1'],
  'compat.example': ['::7f00:1'],
  'nat64.example': ['64:ff9b::7f00:1'],
  'empty.example': [],
};
const calls: string[] = [];
const lookup: HostLookup = async (host) => {
  calls.push(host);
  const found = ZONE[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

async function reason(url: string, allowPrivate = false): Promise<unknown> {
  try {
    await assertCallbackUrlAllowed(url, { allowPrivate, lookup });
  } catch (err) {
    if (err instanceof DomainError) {
      expect(err.code).toBe('CALLBACK_URL_NOT_ALLOWED');
      expect(err.status).toBe(422);
      return err.details?.reason;
    }
    throw err;
  }
  return 'allowed';
}

describe('assertCallbackUrlAllowed (row 45)', () => {
  it('allows https to a host whose every address is public', async () => {
    expect(await reason('https://crm.example.com/tsunagu/callback?x=1')).toBe('allowed');
    expect(await reason('https://93.184.215.14:8443/cb')).toBe('allowed');
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'scheme_not_allowed'],
    ['https://169.254.169.254/latest/meta-data/', 'address_not_public'],
    ['https://127.0.0.1/', 'address_not_public'],
    ['https://[::1]/', 'address_not_public'],
    ['https://0x7f.1/', 'address_not_public'], // WHATWG URL reads this as 127.0.0.1
    ['https://2130706433/', 'address_not_public'], // 127.0.0.1 as one decimal
    ['https://0.0.0.0/', 'address_not_public'],
    ['https://10.1.2.3/', 'address_not_public'],
    ['https://[::ffff:127.0.0.1]/', 'address_not_public'],
    ['https://[fe80::1]/', 'address_not_public'],
    ['https://internal.corp/', 'unresolvable'],
    ['https://empty.example/', 'unresolvable'],
    ['https://rebind.example/', 'address_not_public'],
    ['https://mixed.example/', 'address_not_public'], // one private answer is enough to refuse
    ['https://metadata.example/', 'address_not_public'],
    ['https://mapped.example/', 'address_not_public'],
    ['https://ula.example/', 'address_not_public'],
    ['http://crm.example.com/', 'scheme_not_allowed'],
    ['ftp://crm.example.com/', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['https://user:pass@crm.example.com/', 'credentials_in_url'],
    ['https://user@crm.example.com/', 'credentials_in_url'],
    ['not a url', 'invalid_url'],
    ['/relative/path', 'invalid_url'],
    ['', 'invalid_url'],
    [`https://crm.example.com/${'a'.repeat(3000)}`, 'invalid_url'],
  ])('refuses %s (%s)', async (url, expected) => {
    expect(await reason(url)).toBe(expected);
  });

  it('asks the resolver for names only, never for IP literals', async () => {
    calls.length = 0;
    await reason('https://127.0.0.1/');
    await reason('https://rebind.example./');
    expect(calls).toEqual(['rebind.example']);
  });

  it('allowPrivate (local demo) allows http and private targets but still refuses credentials', async () => {
    expect(await reason('http://127.0.0.1:3000/cb', true)).toBe('allowed');
    expect(await reason('http://internal.corp/cb', true)).toBe('allowed');
    expect(await reason('http://u:p@127.0.0.1/', true)).toBe('credentials_in_url');
    expect(await reason('ftp://127.0.0.1/', true)).toBe('scheme_not_allowed');
  });
});

describe('assertCallbackUrlAllowed on IP literals (SSRF audit)', () => {
  // Each literal as a tenant would type it; WHATWG URL rewrites several before we see them.
  it.each([
    ['https://[::127.0.0.1]/', '[::7f00:1]'], // IPv4-compatible loopback: ipaddr.js says `unicast`
    ['https://[::a9fe:a9fe]/', '[::a9fe:a9fe]'], // IPv4-compatible 169.254.169.254 (metadata)
    ['https://[::ffff:10.0.0.1]/', '[::ffff:a00:1]'], // IPv4-mapped: the embedded 10.0.0.1 is judged
    ['https://[64:ff9b::7f00:1]/', '[64:ff9b::7f00:1]'], // NAT64 of loopback
    ['https://0177.0.0.1/', '127.0.0.1'], // octal
    ['https://0x7f.1/', '127.0.0.1'], // hex, two parts
    ['https://[fc00::1]/', '[fc00::1]'], // unique local
    ['https://[ff02::1]/', '[ff02::1]'], // multicast
    ['https://[2002:7f00:1::]/', '[2002:7f00:1::]'], // 6to4 of loopback
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', '[2001:0:4136:e378:8000:63bf:3fff:fdd2]'], // Teredo
    ['https://[2001:db8::1]/', '[2001:db8::1]'], // documentation, inside 2000::/3
    ['https://[100::1]/', '[100::1]'], // discard-only
  ])('refuses %s (read as %s) as address_not_public', async (url, host) => {
    expect(new URL(url).hostname).toBe(host);
    expect(await reason(url)).toBe('address_not_public');
  });

  it.each(['https://[2001:4860:4860::8888]/cb', 'https://[::ffff:8.8.8.8]/cb', 'https://8.8.8.8/cb', 'https://93.184.215.14:8443/cb'])(
    'allows the public literal %s without asking the resolver',
    async (url) => {
      calls.length = 0;
      expect(await reason(url)).toBe('allowed');
      expect(calls).toEqual([]);
    },
  );

  it('refuses a name whose resolver answers an IPv4-compatible or NAT64 loopback', async () => {
    expect(await reason('https://compat.example/')).toBe('address_not_public');
    expect(await reason('https://nat64.example/')).toBe('address_not_public');
  });
});

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '93.184.215.14', '1.1.1.1', '2001:4860:4860::8888', '2606:4700:4700::1111', '::ffff:8.8.8.8', '3ffe::1', '2a00:1450:4001::200e'])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1',
    '169.254.169.254', '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1',
    '239.255.255.250', '255.255.255.255', '240.0.0.1', '192.0.2.1', '198.18.0.1',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::ffff:7f00:1',
    '64:ff9b::a00:1', '2002:0a00:0001::', '2001::1', '2001:db8::1',
    '::7f00:1', '::127.0.0.1', '::a9fe:a9fe', '::8.8.8.8', '64:ff9b::808:808', '100::1', '2001:2::1', '2001:20::1',
    '3fff::1', '5f00::1', '4000::1', 'fec0::1', '2001:4860::8888%eth0',
    '', 'localhost', '0x7f.1', '127.1', '1.2.3', '999.1.1.1', 'not-an-ip',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it('does not treat 172.32/12 neighbours or 100.128 as private', () => {
    expect(isPublicAddress('172.32.0.1')).toBe(true);
    expect(isPublicAddress('172.15.255.255')).toBe(true);
    expect(isPublicAddress('100.128.0.1')).toBe(true);
  });
});

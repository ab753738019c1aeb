import { createHmac, hkdfSync } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * Where a sign-in came from, as the lock-out counts it: Express's `req.ip` (the socket's address,
 * or what the proxies TSUNAGU_TRUST_PROXY names say). One IPv4 address is one place; an IPv6 host
 * is usually given a whole /64, so it is counted by that /64, or it could pick a new address per
 * guess. An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 one. No address at all
 * (the socket already gone) is one place too: such attempts still count, together.
 */
export function addressGroup(ip: string | undefined): string {
  const raw = (ip ?? '').trim().split('%')[0];
  if (!ipaddr.isValid(raw)) return 'unknown';
  const addr = ipaddr.process(raw); // an IPv4-mapped IPv6 address comes back as the IPv4 one
  if (addr.kind() === 'ipv4') return addr.toString();
  return `${(addr as ipaddr.IPv6).parts.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/**
 * Keys the lock-out's table by an HMAC of the address group, never the address: it is personal
 * data. The HMAC key is derived from TSUNAGU_DATA_KEY for this one use (HKDF), so the table alone
 * cannot be matched against a list of addresses.
 */
export class ClientAddressKeys {
  private readonly key: Buffer;

  constructor(dataKeyBase64: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(dataKeyBase64, 'base64'), Buffer.alloc(0), 'tsunagu/console/sign-in-address', 32));
  }

  of(ip: string | undefined): string {
    return createHmac('sha256', this.key).update(addressGroup(ip)).digest('base64url');
  }
}

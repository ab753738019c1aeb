import { BlockList, isIP } from 'node:net';
import { DomainError } from '@tsunagu/core';

/** At most this many networks on one API key: an allowlist, not a firewall. */
export const MAX_ALLOWED_NETWORKS = 20;

/**
 * The networks an API key may be used from, checked and written the one way: `203.0.113.0/24`,
 * `2001:db8::/32`, or a bare address (its own /32 or /128). Refused with INVALID_REQUEST when one
 * is not a network.
 */
export function parseNetworks(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of entries.map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix, extra] = raw.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || extra !== undefined || !(bits >= 0 && bits <= max)) {
      throw new DomainError('INVALID_REQUEST', `"${raw.slice(0, 60)}" is not a network: write an address or address/prefix, e.g. 203.0.113.0/24.`);
    }
    out.push(`${address}/${bits}`);
  }
  if (out.length > MAX_ALLOWED_NETWORKS) throw new DomainError('INVALID_REQUEST', `At most ${MAX_ALLOWED_NETWORKS} networks per key.`);
  return [...new Set(out)];
}

const lists = new Map<string, BlockList>();

/** Whether `ip` (as Node reports it, IPv4-mapped IPv6 included) is inside one of the networks. */
export function addressAllowed(ip: string | undefined, networks: readonly string[]): boolean {
  if (networks.length === 0) return true;
  if (!ip || !isIP(ip)) return false;
  const key = networks.join(',');
  let list = lists.get(key);
  if (!list) {
    list = new BlockList();
    for (const n of networks) {
      const [address, bits] = n.split('/');
      list.addSubnet(address, Number(bits), isIP(address) === 4 ? 'ipv4' : 'ipv6');
    }
    if (lists.size > 1000) lists.clear();
    lists.set(key, list);
  }
  return list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
}

import { DomainError } from '@tsunagu/core';
import ipaddr from 'ipaddr.js';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Tenants give us a URL and we POST status callbacks to it from inside our network. Without this
 * guard that is a server-side request forgery primitive: `http://169.254.169.254/` is the cloud
 * metadata service, `http://127.0.0.1:6379` is our Redis.
 */
export type HostLookup = (host: string) => Promise<string[]>;

export interface CallbackUrlOptions {
  /** Local demo only: allows http and private/loopback targets. Never in production config. */
  allowPrivate: boolean;
  /** Injected in tests; defaults to the OS resolver, all addresses. */
  lookup?: HostLookup;
}

export type CallbackUrlRefusal =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'unresolvable'
  | 'address_not_public';

const MAX_URL_LENGTH = 2048;

export const defaultLookup: HostLookup = async (host) =>
  (await dns.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

function refuse(reason: CallbackUrlRefusal, message: string): DomainError {
  return new DomainError('CALLBACK_URL_NOT_ALLOWED', message, { reason });
}

/**
 * Checked when the tenant saves the URL. The sender must check again at send time, on the
 * addresses it is about to connect to (DNS rebinding: the name may resolve elsewhere later), and
 * must not follow redirects: a 3xx to a private address would bypass both checks.
 */
export async function assertCallbackUrlAllowed(url: string, opts: CallbackUrlOptions): Promise<void> {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) {
    throw refuse('invalid_url', 'The callback URL is not a valid absolute URL.');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse('invalid_url', 'The callback URL is not a valid absolute URL.');
  }

  const schemes = opts.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol)) {
    throw refuse('scheme_not_allowed', 'The callback URL must use https.');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // Credentials in a URL end up in logs and proxies; the callback is signed instead.
    throw refuse('credentials_in_url', 'The callback URL must not contain a user name or password.');
  }
  const host = hostOf(parsed);
  if (host.length === 0) throw refuse('invalid_url', 'The callback URL has no host.');
  if (opts.allowPrivate) return;

  // WHATWG URL has already turned `0x7f.1`, `2130706433` and friends into dotted IPv4.
  const addresses = isIP(host) ? [host] : await resolve(host, opts.lookup ?? defaultLookup);
  if (addresses.length === 0) {
    throw refuse('unresolvable', 'The callback URL host does not resolve.');
  }
  // Every address must be public: an attacker's DNS can return one public and one private IP.
  if (!addresses.every(isPublicAddress)) {
    throw refuse('address_not_public', 'The callback URL must point to a public internet address.');
  }
}

/** URL.hostname keeps IPv6 brackets (`[::1]`); a trailing dot is the same name. */
function hostOf(url: URL): string {
  const host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

async function resolve(host: string, lookup: HostLookup): Promise<string[]> {
  try {
    const found = await lookup(host);
    return Array.isArray(found) ? found : [];
  } catch {
    return []; // NXDOMAIN, timeouts and resolver errors are all "cannot tell": refuse
  }
}

/**
 * ipaddr.js reads any dotted tail as IPv4-mapped (`::8.8.8.8` becomes `::ffff:808:808`), which
 * is not the address a socket connects to (`::808:808`). The WHATWG serializer is exact.
 */
function canonicalV6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** 2000::/3: the only IPv6 block IANA hands out as global unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * True only for globally routable unicast: the one decision behind the save-time check, the
 * send-time lookup (callback-url.lookup.ts) and the sender's check of literal hosts.
 *
 * IPv4: only what ipaddr.js calls `unicast`; loopback, private, link-local (metadata), CGNAT,
 * 0/8, multicast, broadcast, reserved, documentation, benchmarking, AS112 and AMT are refused.
 *
 * IPv6 is an allow-list, not a deny-list: ipaddr.js calls anything it has no name for `unicast`,
 * and that is how the deprecated IPv4-compatible form slipped through (`[::127.0.0.1]` reaches
 * us as `::7f00:1`, a loopback on hosts that still route ::/96). So an IPv6 address must lie in
 * 2000::/3, and inside it must still be plain `unicast`: 6to4 (2002::/16) and Teredo
 * (2001::/32) are refused outright rather than judged by the IPv4 they carry, because a relay
 * turns them into traffic to that IPv4 (`2002:7f00:1::` is 127.0.0.1 through a 6to4 gateway)
 * and no CRM receives callbacks on a tunnelling prefix, which RFC 7526 deprecated anyway; the
 * documentation, ORCHID, benchmarking and AS112 blocks are refused as not being a real CRM.
 * Outside 2000::/3 everything is refused, NAT64 64:ff9b::/96 included (its IPv4 could be a
 * private one behind the translator). The one exception is IPv4-mapped ::ffff:0:0/96, which is
 * how a dual-stack socket spells an IPv4 peer: its embedded IPv4 is judged instead.
 * Zone ids (`fe80::1%eth0`) only make sense on link-local addresses: refused.
 */
export function isPublicAddress(ip: string): boolean {
  if (typeof ip !== 'string' || isIP(ip) === 0 || ip.includes('%')) return false; // canonical forms only
  try {
    const addr = ipaddr.parse(isIP(ip) === 6 ? canonicalV6(ip) : ip);
    if (addr.kind() === 'ipv4') return addr.range() === 'unicast';
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range() === 'unicast';
    return v6.match(GLOBAL_UNICAST_V6) && v6.range() === 'unicast';
  } catch {
    return false;
  }
}

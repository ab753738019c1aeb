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
 * True only for globally routable unicast. Everything ipaddr.js classifies otherwise is refused:
 * loopback, private, link-local (metadata), CGNAT, 0/8, multicast, broadcast, reserved and
 * documentation ranges, ULA fc00::/7, fe80::/10, and the IPv6 forms that embed an IPv4 address
 * (mapped ::ffff:0:0/96 is unwrapped and judged as IPv4; NAT64, 6to4 and Teredo are refused
 * outright because the embedded address could be private).
 */
export function isPublicAddress(ip: string): boolean {
  if (typeof ip !== 'string' || isIP(ip) === 0) return false; // canonical forms only
  try {
    return ipaddr.process(ip).range() === 'unicast';
  } catch {
    return false;
  }
}

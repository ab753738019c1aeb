import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { type HostLookup, isPublicAddress } from './callback-url.guard';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The shape Node's `dns.lookup` has and `http.request({ lookup })` / `https.Agent` expect. */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** A resolver asked for every address of a name: Node's `dns.lookup`, or a stand-in in tests. */
export type AllLookup = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Node's own resolver: what production judges callback URLs with, on save and on send. */
export const osResolver: AllLookup = dnsLookup as unknown as AllLookup;

/**
 * The same resolver as the save-time check asks it (assertCallbackUrlAllowed's `lookup`): every
 * address, unsorted, as `defaultLookup` does. One resolver then serves both checks, so a stand-in
 * given to the engine is asked on save and on send alike.
 */
export function hostLookupOf(resolve: AllLookup): HostLookup {
  return (host) =>
    new Promise((ok, fail) =>
      resolve(host, { all: true, verbatim: true }, (err, addresses) => (err ? fail(err) : ok((Array.isArray(addresses) ? addresses : []).map((a) => a.address)))),
    );
}

export const CALLBACK_BLOCKED = 'ECALLBACKBLOCKED';

/**
 * A `lookup` for the callback sender's HTTP agent: the name is resolved once, every answer must
 * be public, and the socket connects to exactly what was checked. This closes DNS rebinding
 * (a name that was public when the tenant saved it and points at 10.0.0.5 now), which a check
 * before `fetch()` cannot, since fetch resolves the name again.
 *
 * Node skips `lookup` for IP-literal hosts, so the sender must still run `isPublicAddress` on a
 * literal host, and must not follow redirects (each hop would need the same treatment).
 */
export function createPublicOnlyLookup(resolve: AllLookup = osResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = Array.isArray(addresses) ? addresses : [];
      if (list.length === 0 || !list.every((a) => isPublicAddress(a.address))) {
        // The host name is configuration, not personal data; addresses are not echoed.
        const blocked: NodeJS.ErrnoException = new Error(
          `Callback host ${hostname} resolves to a non-public address; refusing to connect.`,
        );
        blocked.code = CALLBACK_BLOCKED;
        return callback(blocked, []);
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}

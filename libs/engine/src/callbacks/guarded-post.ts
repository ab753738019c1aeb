import { isIP } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { AllLookup, CALLBACK_BLOCKED, createPublicOnlyLookup, isPublicAddress } from '@tsunagu/security';

export interface PostResult {
  status: number | null;
  error: string | null;
}

export interface GuardedPostOptions {
  timeoutMs: number;
  /** `callbacks.allowPrivateUrls`: local demos only; the address is then not judged. */
  allowPrivate: boolean;
  /**
   * The resolver the judging lookup asks: Node's `dns.lookup` unless a test stands one in.
   * With `allowPrivate` nothing is judged and Node's own lookup connects.
   */
  resolve?: AllLookup;
}

/**
 * One POST to a callback URL. The address is judged in the lookup the socket connects with
 * (createPublicOnlyLookup, the same `isPublicAddress` as the check on save), so a name that
 * was public when the tenant saved it cannot be re-pointed at 169.254.169.254 (DNS rebinding).
 * Redirects are never followed: node:http does not follow them, and a 3xx comes back as the
 * status, which the sender records as a final failure. Following one would connect to a host
 * that no check has seen.
 */
export function guardedPost(url: string, body: string, headers: Record<string, string>, opts: GuardedPostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ status: null, error: 'invalid_url' });
    }
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) return resolve({ status: null, error: 'unsupported_scheme' });
    // Node does not call `lookup` for an address literal, so those are judged here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !opts.allowPrivate && !isPublicAddress(literal)) return resolve({ status: null, error: 'address_not_allowed' });
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), ...headers },
        ...(opts.allowPrivate ? {} : { lookup: createPublicOnlyLookup(opts.resolve) }),
        timeout: opts.timeoutMs,
      },
      (res) => {
        res.resume(); // the CRM's answer body is not ours to keep
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
        res.on('error', () => resolve({ status: res.statusCode ?? null, error: null }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: null, error: err.code === CALLBACK_BLOCKED ? 'address_not_allowed' : (err.code ?? 'network_error').toLowerCase() }));
    req.end(body);
  });
}

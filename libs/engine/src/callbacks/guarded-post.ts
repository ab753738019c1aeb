import { isIP } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { AllLookup, CALLBACK_BLOCKED, createPublicOnlyLookup, isPublicAddress } from '@tsunagu/security';

export interface PostResult {
  status: number | null;
  error: string | null;
  /** The answer's `Retry-After`, as sent (a 429 or 503 may say when to come back). */
  retryAfter?: string | null;
}

export interface GuardedPostOptions {
  /** For the whole exchange, from the lookup to the answer's status line: not per read. */
  timeoutMs: number;
  /** `callbacks.allowPrivateUrls`: local demos only; the address is then not judged. */
  allowPrivate: boolean;
  /**
   * The resolver the judging lookup asks: Node's `dns.lookup` unless a test stands one in.
   * With `allowPrivate` nothing is judged and Node's own lookup connects.
   */
  resolve?: AllLookup;
}

/** What is read of a CRM's answer body (thrown away) before the connection is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST to a callback URL, answered by its status line within `timeoutMs`. The address is judged in the lookup the socket connects with
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
    const req = client.request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), ...headers },
      ...(opts.allowPrivate ? {} : { lookup: createPublicOnlyLookup(opts.resolve) }),
      timeout: opts.timeoutMs,
    });
    // `timeout` above is per idle socket: a CRM sending a header byte a second never sets it off
    // and would hold a worker (and its job's lock) indefinitely. This bounds the whole post.
    const timedOut = () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    const deadline = setTimeout(timedOut, opts.timeoutMs);
    req.on('timeout', timedOut);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ status: null, error: err.code === CALLBACK_BLOCKED ? 'address_not_allowed' : (err.code ?? 'network_error').toLowerCase() }),
    );
    req.on('response', (res) => {
      // The status line is the CRM's answer: a body it trickles or never ends holds nothing up.
      clearTimeout(deadline);
      const retryAfter = res.headers['retry-after'];
      resolve({ status: res.statusCode ?? null, error: null, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
      // The body is not ours to keep: drained (so a kept-alive socket can be reused), but only
      // so much and for so long.
      const drain = setTimeout(() => res.destroy(), opts.timeoutMs);
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('error', () => undefined);
      res.on('close', () => clearTimeout(drain));
    });
    req.end(body);
  });
}

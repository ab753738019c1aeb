import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from './api-key';

/**
 * Signatures on our callbacks to CRMs follow Standard Webhooks (standardwebhooks.com), so
 * customers can verify them with an off-the-shelf library:
 *   webhook-id, webhook-timestamp (seconds), webhook-signature: `v1,<base64 HMAC-SHA256>`
 * over `${id}.${timestamp}.${body}`, keyed by the base64-decoded part of `whsec_<base64>`.
 */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 24;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The key bytes of a `whsec_…` secret. The prefix is optional, as in the reference libraries. */
function secretBytes(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (b64.length === 0 || !BASE64.test(b64)) {
    // A configuration error, not attacker input: say so without printing the secret.
    throw new Error('The webhook secret must be "whsec_" followed by base64.');
  }
  return Buffer.from(b64, 'base64');
}

export interface SignWebhookInput {
  secret: string;
  id: string;
  /** Unix time in seconds. */
  timestamp: number;
  /** The exact bytes sent; a string is signed as UTF-8. */
  body: string | Buffer;
}

export function signWebhook({ secret, id, timestamp, body }: SignWebhookInput): string {
  const mac = createHmac('sha256', secretBytes(secret))
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(body)
    .digest('base64');
  return `v1,${mac}`;
}

export interface VerifyWebhookInput {
  secret: string;
  /** Header names are matched case-insensitively; Node lower-cases them anyway. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body as received, not re-serialised JSON. */
  body: string | Buffer;
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * True only for a fresh message signed with this secret. The timestamp window (both directions)
 * bounds replay; several space-separated signatures are allowed so senders can rotate secrets.
 * Throws only for a malformed secret (our configuration); every header problem is a plain false.
 */
export function verifyWebhook(input: VerifyWebhookInput): boolean {
  const key = secretBytes(input.secret);
  const id = header(input.headers, 'webhook-id');
  const timestamp = header(input.headers, 'webhook-timestamp');
  const signatures = header(input.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures || (typeof input.body !== 'string' && !Buffer.isBuffer(input.body))) {
    return false;
  }
  if (!/^[0-9]{1,12}$/.test(timestamp)) return false;

  const tolerance = input.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) return false;

  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(input.body)
    .digest();
  let valid = false;
  // Check every candidate, not the first match only, so timing says nothing about the position.
  for (const candidate of signatures.split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
    const sig = decodeBase64(candidate.slice(comma + 1));
    if (sig && safeEqual(sig, expected)) valid = true;
  }
  return valid;
}

function header(headers: VerifyWebhookInput['headers'], name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  // A repeated header is ambiguous; refuse rather than pick one.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Strict base64 (Node's decoder silently skips junk, which would make `sig` checks sloppy). */
function decodeBase64(text: string): Buffer | null {
  if (text.length === 0 || text.length > 1024 || !BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

export type HmacAlgorithm = 'sha256' | 'sha512';

/**
 * Provider-side helpers for webhook receivers: LINE signs with base64 HMAC-SHA256 of the raw body
 * (x-line-signature), Google RBM with base64 HMAC-SHA512 (X-Goog-Signature). Always over the raw
 * bytes received, never over re-serialised JSON.
 */
export function hmacBase64(algorithm: HmacAlgorithm, key: string | Buffer, data: Buffer | string): string {
  return createHmac(algorithm, key).update(data).digest('base64');
}

/** Constant-time; false (never a throw) for a missing, malformed or wrong signature. */
export function verifyHmacBase64(
  algorithm: HmacAlgorithm,
  key: string | Buffer,
  data: Buffer | string,
  signature: unknown,
): boolean {
  try {
    if (algorithm !== 'sha256' && algorithm !== 'sha512') return false;
    if (typeof signature !== 'string') return false;
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) return false;
    if (typeof data !== 'string' && !Buffer.isBuffer(data)) return false;
    if (key.length === 0) return false; // an unconfigured secret must not verify anything
    const provided = decodeBase64(signature.trim());
    if (!provided) return false;
    return safeEqual(provided, createHmac(algorithm, key).update(data).digest());
  } catch {
    return false;
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys: `tsk_<id>_<secret>`. The id (12 base62 chars) is a public handle used to find the
 * row; only the SHA-256 of the whole token is stored, so a database dump yields no usable key.
 * SHA-256 without a salt or slow KDF is the right tool here because the secret carries 256 bits
 * of entropy: there is nothing to brute-force.
 */
const PREFIX = 'tsk_';
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
/** base64url of 32 bytes without padding. */
const SECRET_LENGTH = 43;
const TOKEN_LENGTH = PREFIX.length + ID_LENGTH + 1 + SECRET_LENGTH;
const TOKEN = /^tsk_([0-9A-Za-z]{12})_([A-Za-z0-9_-]{43})$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface GeneratedApiKey {
  id: string;
  secret: string;
  /** Shown to the customer once; never stored. */
  token: string;
  /** Hex SHA-256 of `token`: what the database keeps. */
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const id = randomBase62(ID_LENGTH);
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const token = `${PREFIX}${id}_${secret}`;
  return { id, secret, token, hash: hashApiKey(token) };
}

/** Reads a presented token. Null (never a throw) for anything that is not exactly our format. */
export function parseApiKey(token: unknown): { id: string; hash: string } | null {
  if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return null;
  const match = TOKEN.exec(token);
  if (!match) return null;
  return { id: match[1], hash: hashApiKey(token) };
}

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Constant-time equality for secrets and their hashes. Both sides are hashed first so that
 * `timingSafeEqual` always sees equal lengths: it throws on unequal lengths, and an early
 * `return false` on a length mismatch would leak the expected length through timing.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const bufA = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const bufB = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (!Buffer.isBuffer(bufA) || !Buffer.isBuffer(bufB)) return false;
  const digestA = createHash('sha256').update(bufA).digest();
  const digestB = createHash('sha256').update(bufB).digest();
  const sameDigest = timingSafeEqual(digestA, digestB);
  // Equal digests already imply equal input; the length check only closes the theoretical gap.
  return sameDigest && bufA.length === bufB.length;
}

/** Uniform base62 via rejection sampling: `byte % 62` would favour the first 8 characters. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62]; // 248 = 4 × 62
      if (out.length === length) break;
    }
  }
  return out;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Constant-time equality of two hex SHA-256 digests (an API key's stored and presented hashes).
 * Their length is public (64), so they are compared as they are: `safeEqual` would hash each
 * side again, two more digests on every authenticated request.
 */
export function sha256HexEqual(a: string, b: string): boolean {
  if (!SHA256_HEX.test(a) || !SHA256_HEX.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

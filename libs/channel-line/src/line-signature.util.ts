import { createHmac, timingSafeEqual } from 'node:crypto';

/** LINE's webhook signature: base64(HMAC-SHA256(channel secret, the exact request body bytes)). */
export function signLineBody(channelSecret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', channelSecret).update(rawBody).digest('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Constant-time check of `x-line-signature` against the raw bytes. The header is decoded and the
 * digests compared as bytes, so no string comparison leaks timing; a header that is not one
 * well-formed base64 value fails without comparing.
 */
export function verifyLineSignature(
  channelSecret: string,
  rawBody: Buffer,
  header: string | string[] | undefined,
): boolean {
  if (typeof header !== 'string' || !BASE64_RE.test(header.trim())) return false;
  const given = Buffer.from(header.trim(), 'base64');
  const expected = createHmac('sha256', channelSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

import type { IssuedToken } from './renewing-token';

/** int32, as OAuth servers (and LINE's spec) type `expires_in`. */
const MAX_EXPIRES_IN = 2 ** 31 - 1;

/**
 * A 2xx token endpoint's body read as an OAuth token answer (RFC 6749 §5.1; LINE's stateless
 * token answer has the same three fields): `access_token` (a non-empty string), `expires_in`
 * (positive int32 seconds), `token_type` Bearer (compared without case, as OAuth does). Stricter
 * than the schemas where they would let a useless token through. The detail never quotes the token.
 */
export function parseOAuthTokenAnswer(body: unknown): { ok: true; token: IssuedToken } | { ok: false; detail: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, detail: 'not a JSON object' };
  const { access_token: accessToken, expires_in: expiresIn, token_type: tokenType } = body as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') return { ok: false, detail: 'access_token missing or empty' };
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN) {
    return { ok: false, detail: 'expires_in is not a positive int32' };
  }
  if (typeof tokenType !== 'string') return { ok: false, detail: 'token_type missing' };
  if (tokenType.toLowerCase() !== 'bearer') return { ok: false, detail: 'token_type is not Bearer' };
  return { ok: true, token: { accessToken, expiresInSeconds: expiresIn } };
}

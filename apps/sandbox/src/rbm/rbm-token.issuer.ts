import { createPublicKey, KeyObject, randomBytes, verify } from 'node:crypto';

/*
 * Google's OAuth token endpoint for service accounts, as far as RBM needs it: the JWT-bearer
 * grant (RFC 7523). The assertion is an RS256 JWT signed with the service account's private key;
 * the sandbox verifies it with the public key it was configured with, then issues an opaque
 * bearer token the /v1 routes accept until it expires.
 */

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const RBM_SCOPE = 'https://www.googleapis.com/auth/rcsbusinessmessaging';
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
/** How far an assertion's `iat` may be ahead of the endpoint's clock, and its `exp` behind it. */
const CLOCK_SKEW_S = 60;
/**
 * How old an assertion's `iat` may be. Google publishes no window; it refuses a client whose clock
 * is a few minutes off either way, as this does, so a wrong clock can be tried against it.
 */
const ASSERTION_MAX_AGE_S = 300;
/** Google's words for an assertion outside that window, which clients recognise a wrong clock by. */
export const TIME_REFUSED_DESCRIPTION =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

export interface TokenGrant {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

export class TokenRefusal extends Error {
  constructor(
    readonly error: 'invalid_grant' | 'unsupported_grant_type' | 'invalid_request' | 'invalid_scope',
    description: string,
  ) {
    super(description);
  }
}

/** The token endpoint answering 5xx (`tokenOutcome(email, 'unavailable')`): Google's own trouble, not the key's. */
export class TokenEndpointDown extends Error {}

/**
 * What the token endpoint does for one service account: `issue` (the default), `refuse` (400
 * `invalid_grant`, as Google answers for a key that was deleted or disabled) or `unavailable`
 * (503, Google's side failing).
 */
export const TOKEN_OUTCOMES = ['issue', 'refuse', 'unavailable'] as const;
export type TokenOutcome = (typeof TOKEN_OUTCOMES)[number];

export class RbmTokenIssuer {
  private readonly keys = new Map<string, KeyObject>();
  private readonly tokens = new Map<string, { clientEmail: string; expiresAt: number }>();
  private readonly outcomes = new Map<string, Exclude<TokenOutcome, 'issue'>>();
  readonly issued: Record<string, number> = {};
  refusals = 0;
  /** Every token request, whatever its answer. */
  requests = 0;
  /** RBM calls refused 401 for an unknown, expired or revoked bearer token. */
  unauthenticated = 0;
  /**
   * Every token ever handed out, kept through `reset()`: a token issued before a reset may still
   * sit in a client's log, and the e2e log scan reads this list to look for it. In memory only,
   * never on a control route: a token here is still a live bearer credential. Bounded: a sandbox
   * left running (the soak, a developer's `npm run sandbox`) keeps the newest ones only.
   */
  private readonly handedOut: string[] = [];
  /** How far this endpoint's clock is from the machine's (`clockOffset`): 0 unless told. */
  private clockOffsetMs = 0;

  constructor(
    publicKeys: Record<string, string>,
    private readonly ttlSeconds = 3600,
    private readonly keepHandedOut = 10_000,
  ) {
    for (const [email, pem] of Object.entries(publicKeys)) this.keys.set(email, createPublicKey(pem));
  }

  /** Handles one token request body; `audiences` are the `aud` values this endpoint answers to. */
  grant(form: Record<string, unknown>, audiences: readonly string[], now = this.now()): TokenGrant {
    this.requests++;
    try {
      if (form.grant_type !== JWT_BEARER_GRANT) {
        throw new TokenRefusal('unsupported_grant_type', 'only the jwt-bearer grant is supported');
      }
      if (typeof form.assertion !== 'string') throw new TokenRefusal('invalid_request', 'assertion is missing');
      const clientEmail = this.verifyAssertion(form.assertion, audiences, now);
      const outcome = this.outcomes.get(clientEmail);
      if (outcome === 'unavailable') throw new TokenEndpointDown('the token endpoint is unavailable');
      if (outcome === 'refuse') throw new TokenRefusal('invalid_grant', 'the service account key is disabled or deleted');
      const token = randomBytes(32).toString('base64url');
      this.tokens.set(token, { clientEmail, expiresAt: now + this.ttlSeconds * 1000 });
      this.issued[clientEmail] = (this.issued[clientEmail] ?? 0) + 1;
      this.handedOut.push(token);
      if (this.handedOut.length > this.keepHandedOut) this.handedOut.shift();
      // Expired tokens answer 401 either way; forgetting them keeps a long-running sandbox's memory flat.
      for (const [old, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(old);
      return { access_token: token, expires_in: this.ttlSeconds, token_type: 'Bearer' };
    } catch (err) {
      if (err instanceof TokenRefusal) this.refusals++;
      throw err;
    }
  }

  /** From now on, answers this account's token requests as `outcome` says (`issue` restores the default). */
  tokenOutcome(clientEmail: string, outcome: TokenOutcome): void {
    if (outcome === 'issue') this.outcomes.delete(clientEmail);
    else this.outcomes.set(clientEmail, outcome);
  }

  /** The time by this endpoint's clock: the machine's, moved by `clockOffset`. Its answers' `Date` says it. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** The `Date` header for its answers while its clock is moved; undefined while it is the machine's (node writes that one). */
  dateHeader(): string | undefined {
    return this.clockOffsetMs === 0 ? undefined : new Date(this.now()).toUTCString();
  }

  /**
   * Runs this endpoint's clock `seconds` ahead of the machine's (behind when negative), as Google's
   * is when the client's clock is off the other way: assertions signed by the machine's time are
   * refused for it (`invalid_grant`, Google's words) once that is past the window, and every answer's
   * `Date` shows the difference. 0 puts it right.
   */
  clockOffset(seconds: number): void {
    this.clockOffsetMs = seconds * 1000;
  }

  /**
   * Stops accepting the live tokens of one account (every account's without one), as Google does
   * with a revoked token: RBM answers 401 to them. Returns how many were live.
   */
  revoke(clientEmail?: string): number {
    let revoked = 0;
    for (const [token, entry] of this.tokens) {
      if (clientEmail !== undefined && entry.clientEmail !== clientEmail) continue;
      this.tokens.delete(token);
      revoked++;
    }
    return revoked;
  }

  /** The service account a bearer token was issued to, or null when unknown or expired. */
  check(authorization: string | undefined, now = this.now()): string | null {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const entry = match ? this.tokens.get(match[1]) : undefined;
    if (!entry || entry.expiresAt <= now) {
      this.unauthenticated++;
      return null;
    }
    return entry.clientEmail;
  }

  /** Every access token this issuer has handed out, oldest first, resets included (a copy). */
  issuedTokens(): readonly string[] {
    return [...this.handedOut];
  }

  /** Forgets issued tokens (clients must fetch new ones), outcomes, counters and the clock offset; `issuedTokens()` keeps them. */
  reset(): void {
    this.clockOffsetMs = 0;
    this.tokens.clear();
    this.outcomes.clear();
    for (const key of Object.keys(this.issued)) delete this.issued[key];
    this.refusals = 0;
    this.requests = 0;
    this.unauthenticated = 0;
  }

  private verifyAssertion(assertion: string, audiences: readonly string[], now: number): string {
    const parts = assertion.split('.');
    if (parts.length !== 3) throw new TokenRefusal('invalid_grant', 'the assertion is not a JWT');
    const [headerPart, payloadPart, signaturePart] = parts;
    const header = decodeJson(headerPart);
    const claims = decodeJson(payloadPart);
    if (header.alg !== 'RS256') throw new TokenRefusal('invalid_grant', 'the assertion must be RS256');
    const iss = claims.iss;
    const key = typeof iss === 'string' ? this.keys.get(iss) : undefined;
    if (!key || typeof iss !== 'string') throw new TokenRefusal('invalid_grant', 'unknown service account');
    const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
    const signature = Buffer.from(signaturePart, 'base64url');
    if (!verify('sha256', signed, key, signature)) throw new TokenRefusal('invalid_grant', 'invalid JWT signature');

    const nowS = Math.floor(now / 1000);
    const { iat, exp, aud, scope } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new TokenRefusal('invalid_grant', 'iat and exp are required');
    if (iat > nowS + CLOCK_SKEW_S || iat < nowS - ASSERTION_MAX_AGE_S || exp < nowS - CLOCK_SKEW_S || exp - iat > 3600) {
      throw new TokenRefusal('invalid_grant', TIME_REFUSED_DESCRIPTION);
    }
    if (typeof aud !== 'string' || !audiences.includes(aud)) throw new TokenRefusal('invalid_grant', 'wrong audience');
    const scopes = typeof scope === 'string' ? scope.split(' ') : [];
    if (!scopes.includes(RBM_SCOPE)) throw new TokenRefusal('invalid_scope', 'the RBM scope is required');
    return iss;
  }
}

function decodeJson(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new TokenRefusal('invalid_grant', 'the assertion is not a JWT');
}

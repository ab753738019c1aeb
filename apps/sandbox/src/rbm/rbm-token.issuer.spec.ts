import { createSign, generateKeyPairSync } from 'node:crypto';
import { GOOGLE_TOKEN_AUDIENCE, JWT_BEARER_GRANT, RBM_SCOPE, RbmTokenIssuer, TIME_REFUSED_DESCRIPTION, TokenEndpointDown, TokenRefusal } from './rbm-token.issuer';

const EMAIL = 'sa@test.iam.gserviceaccount.com';
const OTHER = 'other-sa@test.iam.gserviceaccount.com';
const keyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const account = keyPair();
const stranger = keyPair();
const AUD = 'http://127.0.0.1:1/token';
const NOW = Date.UTC(2025, 0, 1);

function jwt(claims: Record<string, unknown>, privateKey = account.privateKey, alg = 'RS256'): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(NOW / 1000);
  const signingInput = `${enc({ alg, typ: 'JWT' })}.${enc({ iss: EMAIL, scope: RBM_SCOPE, aud: AUD, iat, exp: iat + 3600, ...claims })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenRefusal) return `${err.error}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('RbmTokenIssuer', () => {
  const issuer = new RbmTokenIssuer({ [EMAIL]: account.publicKey });

  it('issues a bearer token for a correctly signed assertion, and accepts it until it expires', () => {
    const grant = issuer.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], NOW);
    expect(grant).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(issuer.check(`Bearer ${grant.access_token}`, NOW)).toBe(EMAIL);
    expect(issuer.check(`Bearer ${grant.access_token}`, NOW + 3600 * 1000)).toBeNull();
    expect(issuer.check('Bearer nope', NOW)).toBeNull();
    expect(issuer.check(undefined, NOW)).toBeNull();
    expect(issuer.issued[EMAIL]).toBeGreaterThan(0);
  });

  it("accepts Google's own audience too (the library's default)", () => {
    expect(issuer.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({ aud: GOOGLE_TOKEN_AUDIENCE }) }, [AUD, GOOGLE_TOKEN_AUDIENCE], NOW)).toBeDefined();
  });

  it.each([
    ['a signature by another key', () => jwt({}, stranger.privateKey), /invalid_grant: invalid JWT signature/],
    ['an unknown service account', () => jwt({ iss: 'other@x' }), /invalid_grant: unknown service account/],
    ['another algorithm', () => jwt({}, account.privateKey, 'HS256'), /invalid_grant: the assertion must be RS256/],
    ['an expired assertion', () => jwt({ iat: NOW / 1000 - 7200, exp: NOW / 1000 - 3600 }), /invalid_grant: Invalid JWT: .*reasonable timeframe/],
    ['an assertion from the future', () => jwt({ iat: NOW / 1000 + 120, exp: NOW / 1000 + 3720 }), /reasonable timeframe/],
    ['an assertion signed minutes ago (a clock behind)', () => jwt({ iat: NOW / 1000 - 600, exp: NOW / 1000 + 3000 }), /reasonable timeframe/],
    ['an assertion living more than an hour', () => jwt({ exp: NOW / 1000 + 7200 }), /short-lived token/],
    ['a wrong audience', () => jwt({ aud: 'https://evil.example/token' }), /wrong audience/],
    ['no RBM scope', () => jwt({ scope: 'https://www.googleapis.com/auth/cloud-platform' }), /invalid_scope/],
    ['a non-JWT', () => 'not.a.jwt', /not a JWT/],
  ])('refuses %s', (_what, assertion, expected) => {
    expect(refusal(() => issuer.grant({ grant_type: JWT_BEARER_GRANT, assertion: assertion() }, [AUD], NOW))).toMatch(expected);
  });

  it('refuses other grant types and a missing assertion', () => {
    expect(refusal(() => issuer.grant({ grant_type: 'client_credentials' }, [AUD], NOW))).toMatch(/unsupported_grant_type/);
    expect(refusal(() => issuer.grant({ grant_type: JWT_BEARER_GRANT }, [AUD], NOW))).toMatch(/invalid_request/);
  });

  it('lists every token it handed out, still after a reset that stops them working (a log may hold them)', () => {
    const own = new RbmTokenIssuer({ [EMAIL]: account.publicKey });
    const first = own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], NOW).access_token;
    own.reset();
    const second = own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], NOW).access_token;
    expect(refusal(() => own.grant({ grant_type: 'password' }, [AUD], NOW))).toMatch(/unsupported_grant_type/);
    expect(own.check(`Bearer ${first}`, NOW)).toBeNull();
    expect(own.issuedTokens()).toEqual([first, second]);
  });

  it('keeps the newest tokens only, and forgets expired ones, so a sandbox left running stays flat', () => {
    const own = new RbmTokenIssuer({ [EMAIL]: account.publicKey }, 60, 3);
    const grant = (at: number) => own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], at).access_token;
    const tokens = [grant(NOW), grant(NOW), grant(NOW), grant(NOW)];
    expect(own.issuedTokens()).toEqual(tokens.slice(1));
    expect(own.check(`Bearer ${tokens[0]}`, NOW)).toBe(EMAIL);
    // A minute on (the assertion still within its hour), the four have expired; the next grant drops them.
    const later = grant(NOW + 61_000);
    expect(tokens.map((t) => own.check(`Bearer ${t}`, NOW))).toEqual([null, null, null, null]);
    expect(own.check(`Bearer ${later}`, NOW + 61_000)).toBe(EMAIL);
  });

  it("refuses a key when told (invalid_grant, counted), answers 503 when told, and issues again after 'issue'", () => {
    const own = new RbmTokenIssuer({ [EMAIL]: account.publicKey });
    const ask = () => own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], NOW);
    own.tokenOutcome(EMAIL, 'refuse');
    expect(refusal(ask)).toBe('invalid_grant: the service account key is disabled or deleted');
    expect(own.refusals).toBe(1);
    own.tokenOutcome(EMAIL, 'unavailable');
    expect(ask).toThrow(TokenEndpointDown);
    // Google failing is not a refusal of the key.
    expect([own.refusals, own.requests]).toEqual([1, 2]);
    own.tokenOutcome(EMAIL, 'issue');
    expect(ask().access_token).toEqual(expect.any(String));
    expect(own.issued[EMAIL]).toBe(1);
  });

  it("runs its clock off the machine's when told: assertions by the machine's time refused in Google's words, by its own taken", () => {
    const own = new RbmTokenIssuer({ [EMAIL]: account.publicKey });
    const signedAt = (ms: number) => {
      const iat = Math.floor(ms / 1000);
      return { grant_type: JWT_BEARER_GRANT, assertion: jwt({ iat, exp: iat + 3600 }) };
    };
    for (const seconds of [600, -600]) {
      own.clockOffset(seconds);
      expect(Math.abs(own.now() - (Date.now() + seconds * 1000))).toBeLessThan(1000);
      expect(refusal(() => own.grant(signedAt(Date.now()), [AUD]))).toBe(`invalid_grant: ${TIME_REFUSED_DESCRIPTION}`);
      const { access_token: token } = own.grant(signedAt(own.now()), [AUD]);
      expect(own.check(`Bearer ${token}`)).toBe(EMAIL);
    }
    // A reset puts it right.
    own.reset();
    expect(own.grant(signedAt(Date.now()), [AUD]).token_type).toBe('Bearer');
  });

  it("revokes one account's live tokens (or all), which RBM then refuses and counts", () => {
    const own = new RbmTokenIssuer({ [EMAIL]: account.publicKey, [OTHER]: stranger.publicKey });
    const mine = own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({}) }, [AUD], NOW).access_token;
    const theirs = own.grant({ grant_type: JWT_BEARER_GRANT, assertion: jwt({ iss: OTHER }, stranger.privateKey) }, [AUD], NOW).access_token;
    expect(own.revoke(EMAIL)).toBe(1);
    expect([own.check(`Bearer ${mine}`, NOW), own.check(`Bearer ${theirs}`, NOW)]).toEqual([null, OTHER]);
    expect(own.unauthenticated).toBe(1);
    expect(own.revoke()).toBe(1);
    expect(own.check(`Bearer ${theirs}`, NOW)).toBeNull();
    expect(own.unauthenticated).toBe(2);
  });
});

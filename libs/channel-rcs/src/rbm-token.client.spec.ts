import { parseTokenAnswer, tokenFailureOf } from './rbm-token.client';

describe('parseTokenAnswer', () => {
  it('reads a token answer', () => {
    expect(parseTokenAnswer({ access_token: 'ya29.x', expires_in: 3599, token_type: 'Bearer' })).toEqual({
      ok: true,
      token: { accessToken: 'ya29.x', expiresInSeconds: 3599 },
    });
    expect(parseTokenAnswer({ access_token: 'x', expires_in: 1, token_type: 'bearer' }).ok).toBe(true);
  });

  it.each([
    ['text', 'not a JSON object'],
    [[], 'not a JSON object'],
    [{ expires_in: 3600, token_type: 'Bearer' }, 'access_token missing or empty'],
    [{ access_token: '', expires_in: 3600, token_type: 'Bearer' }, 'access_token missing or empty'],
    [{ access_token: 'x', expires_in: 0, token_type: 'Bearer' }, 'expires_in is not a positive int32'],
    [{ access_token: 'x', expires_in: '3600', token_type: 'Bearer' }, 'expires_in is not a positive int32'],
    [{ access_token: 'x', expires_in: 3600, token_type: 'mac' }, 'token_type is not Bearer'],
  ])('refuses %j (%s), never quoting the token', (body, detail) => {
    const parsed = parseTokenAnswer(body);
    expect(parsed).toEqual({ ok: false, detail });
  });
});

describe('tokenFailureOf', () => {
  const gaxiosError = (extra: object) => Object.assign(new Error('x'), { config: { data: 'assertion=secret' } }, extra);

  it('reads an answer: its status, OAuth error word and Retry-After', () => {
    const answered = gaxiosError({ response: { status: 400, data: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, headers: new Headers() } });
    expect(tokenFailureOf(answered, 1000)).toEqual({ kind: 'http', status: 400, oauthError: 'invalid_grant', retryAfter: null, timeRefused: false, clockSkewMs: null, signedOffsetMs: 0 });
    const busy = gaxiosError({ response: { status: 503, data: '<html>', headers: new Headers({ 'retry-after': '3' }) } });
    expect(tokenFailureOf(busy, 1000)).toEqual({ kind: 'http', status: 503, oauthError: null, retryAfter: '3', timeRefused: false, clockSkewMs: null, signedOffsetMs: 0 });
    // A word that is not one (a proxy's prose) is not repeated.
    const odd = gaxiosError({ response: { status: 400, data: { error: 'call +81 90 1234 5678' }, headers: new Headers() } });
    expect(tokenFailureOf(odd, 1000)).toMatchObject({ oauthError: null });
  });

  it("reads a refusal for the assertion's time: Google's words, the answer's Date against when it came, the offset it was signed with", () => {
    const now = Date.UTC(2025, 0, 1);
    const description = 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
    const headers = new Headers({ date: new Date(now + 600_000).toUTCString() });
    const refused = gaxiosError({ response: { status: 400, data: { error: 'invalid_grant', error_description: description }, headers } });
    expect(tokenFailureOf(refused, 1000, 0, now)).toMatchObject({ oauthError: 'invalid_grant', timeRefused: true, clockSkewMs: 600_000, signedOffsetMs: 0 });
    expect(tokenFailureOf(refused, 1000, 600_000, now)).toMatchObject({ clockSkewMs: 600_000, signedOffsetMs: 600_000 });
  });

  it('tells a timeout and a lost connection from an answer', () => {
    expect(tokenFailureOf(gaxiosError({ code: 'TimeoutError', cause: { name: 'TimeoutError' } }), 1500)).toEqual({ kind: 'timeout', timeoutMs: 1500 });
    const refused = gaxiosError({ message: 'fetch failed', cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) });
    expect(tokenFailureOf(refused, 1000)).toEqual({ kind: 'network', detail: 'ECONNREFUSED' });
  });

  it('takes an error thrown before any request (no gaxios config) for a key that cannot sign', () => {
    expect(tokenFailureOf(Object.assign(new Error('error:1E08010C:DECODER routines::unsupported'), { code: 'ERR_OSSL_UNSUPPORTED' }), 1000)).toEqual({ kind: 'signing' });
  });
});

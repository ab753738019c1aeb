import { classifyRbmTokenFailure, DEFAULT_RETRY_AFTER_MS, parseRbmError, rbmNetworkError, RbmTokenFailure } from './rbm-error.parser';

const google = (code: number, status: string, message = 'provider says no') => ({ error: { code, status, message } });

describe('parseRbmError', () => {
  it.each([
    // status, body, Retry-After, kind, code, retryAfterMs
    [404, google(404, 'NOT_FOUND'), null, 'permanent', 'not_rcs_capable', undefined],
    [404, null, null, 'permanent', 'not_rcs_capable', undefined],
    [429, google(429, 'RESOURCE_EXHAUSTED'), '7', 'retryable', 'rbm_rate_limited', 7000],
    [429, google(429, 'RESOURCE_EXHAUSTED'), null, 'retryable', 'rbm_rate_limited', DEFAULT_RETRY_AFTER_MS],
    [500, google(500, 'INTERNAL'), null, 'retryable', 'rbm_internal', undefined],
    [503, google(503, 'UNAVAILABLE'), '2', 'retryable', 'rbm_unavailable', 2000],
    [502, '<html>bad gateway</html>', null, 'retryable', 'rbm_server_error', undefined],
    [400, google(400, 'INVALID_ARGUMENT'), null, 'permanent', 'rbm_invalid_argument', undefined],
    [400, google(400, 'FAILED_PRECONDITION'), null, 'permanent', 'rbm_failed_precondition', undefined],
    [400, null, null, 'permanent', 'rbm_invalid_argument', undefined],
    [403, google(403, 'PERMISSION_DENIED'), null, 'permanent', 'rbm_permission_denied', undefined],
    [403, {}, null, 'permanent', 'rbm_permission_denied', undefined],
    [401, google(401, 'UNAUTHENTICATED'), null, 'retryable', 'rbm_unauthenticated', undefined],
    [408, null, null, 'retryable', 'rbm_unreachable', undefined],
    [413, null, null, 'permanent', 'rbm_http_413', undefined],
  ] as const)('HTTP %i %j (Retry-After %s) → %s %s', (status, body, retryAfter, kind, code, retryAfterMs) => {
    const err = parseRbmError({ status, body, retryAfter });
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.code).toMatch(/^[a-z0-9_]+$/);
    expect(err.retryAfterMs).toBe(retryAfterMs);
  });

  it('keeps the provider message for operators, with phone numbers masked', () => {
    const err = parseRbmError({ status: 400, body: google(400, 'INVALID_ARGUMENT', 'Phone +81 90-1234-5678 is not valid') });
    expect(err.message).toBe('Phone [redacted] is not valid');
  });

  it('says which HTTP status it was when the body has no message', () => {
    expect(parseRbmError({ status: 403, body: null }).message).toBe('RBM answered HTTP 403');
  });
});

describe('rbmNetworkError', () => {
  it('is retryable rbm_unreachable, for timeouts and refused connections alike', () => {
    const timeout = Object.assign(new Error('t'), { name: 'TimeoutError' });
    expect(rbmNetworkError(timeout)).toMatchObject({ kind: 'retryable', code: 'rbm_unreachable', message: 'RBM request timed out' });
    expect(rbmNetworkError(new TypeError('fetch failed'))).toMatchObject({ kind: 'retryable', code: 'rbm_unreachable' });
  });
});

describe('classifyRbmTokenFailure', () => {
  const http = (status: number, oauthError: string | null = null, retryAfter: string | null = null): RbmTokenFailure => ({ kind: 'http', status, oauthError, retryAfter });
  it.each([
    // A bad service-account key: no use asking again until the config changes.
    [http(400, 'invalid_grant'), 'permanent', 'rbm_token_invalid_credentials', undefined],
    [http(401, 'invalid_client'), 'permanent', 'rbm_token_invalid_credentials', undefined],
    [http(400, 'unauthorized_client'), 'permanent', 'rbm_token_invalid_credentials', undefined],
    [http(401), 'permanent', 'rbm_token_invalid_credentials', undefined],
    [{ kind: 'signing' }, 'permanent', 'rbm_token_invalid_credentials', undefined],
    // Refused for another reason (our request, a wrong tokenUrl): permanent too, named apart.
    [http(400, 'invalid_scope'), 'permanent', 'rbm_token_refused', undefined],
    [http(400), 'permanent', 'rbm_token_refused', undefined],
    [http(404), 'permanent', 'rbm_token_refused', undefined],
    // Google's trouble or the network's: a later try can succeed.
    [http(500, 'internal_failure'), 'retryable', 'rbm_token_unavailable', undefined],
    [http(503, null, '4'), 'retryable', 'rbm_token_unavailable', 4000],
    [http(429, null, '2'), 'retryable', 'rbm_token_unavailable', 2000],
    [http(408), 'retryable', 'rbm_token_unavailable', undefined],
    [{ kind: 'network', detail: 'ECONNREFUSED' }, 'retryable', 'rbm_token_unavailable', undefined],
    [{ kind: 'timeout', timeoutMs: 5000 }, 'retryable', 'rbm_token_unavailable', undefined],
    [{ kind: 'malformed', detail: 'access_token missing or empty' }, 'retryable', 'rbm_token_unavailable', undefined],
  ] as [RbmTokenFailure, string, string, number | undefined][])('%j → %s %s', (failure, kind, code, retryAfterMs) => {
    const err = classifyRbmTokenFailure(failure);
    expect([err.kind, err.code, err.retryAfterMs]).toEqual([kind, code, retryAfterMs]);
  });

  describe('invalid_grant for the assertion\'s time (this machine\'s clock off)', () => {
    type Answered = Extract<RbmTokenFailure, { kind: 'http' }>;
    const answered = (status: number, oauthError: string | null, extra: Partial<Answered> = {}): Answered => ({ kind: 'http', status, oauthError, retryAfter: null, ...extra });
    const grant = (extra: Partial<Answered>) => answered(400, 'invalid_grant', extra);
    it.each([
      // Google's words say so, whatever the Date.
      [grant({ timeRefused: true }), 'retryable', 'rbm_token_clock_skew'],
      [grant({ timeRefused: true, clockSkewMs: 2_000 }), 'retryable', 'rbm_token_clock_skew'],
      // The Date says so: more than a minute from the time it was signed by, either way.
      [grant({ clockSkewMs: 600_000 }), 'retryable', 'rbm_token_clock_skew'],
      [grant({ clockSkewMs: -61_000, signedOffsetMs: 0 }), 'retryable', 'rbm_token_clock_skew'],
      // Signed with an offset our clock no longer needs (it was put right meanwhile): the time again.
      [grant({ clockSkewMs: 30_000, signedOffsetMs: 600_000 }), 'retryable', 'rbm_token_clock_skew'],
      // Signed with the endpoint's own time and still refused, or the clocks within a minute: the key's refusal.
      [grant({ clockSkewMs: 600_000, signedOffsetMs: 600_000 }), 'permanent', 'rbm_token_invalid_credentials'],
      [grant({ clockSkewMs: 59_000 }), 'permanent', 'rbm_token_invalid_credentials'],
      [grant({ clockSkewMs: null }), 'permanent', 'rbm_token_invalid_credentials'],
      // Only invalid_grant is about the assertion: another word stays what it was.
      [answered(401, 'invalid_client', { timeRefused: true, clockSkewMs: 600_000 }), 'permanent', 'rbm_token_invalid_credentials'],
      [answered(503, null, { clockSkewMs: 600_000 }), 'retryable', 'rbm_token_unavailable'],
    ] as [RbmTokenFailure, string, string][])('%j → %s %s', (failure, kind, code) => {
      const err = classifyRbmTokenFailure(failure);
      expect([err.kind, err.code]).toEqual([kind, code]);
    });

    it('names the skew measured and what to fix, never Google\'s description', () => {
      expect(classifyRbmTokenFailure(grant({ timeRefused: true, clockSkewMs: 600_400 })).message).toBe(
        "Google refused the assertion's time (token endpoint answered 400 invalid_grant): this machine's clock is behind the RBM token endpoint's by 600 s; fix its time sync (NTP)",
      );
      expect(classifyRbmTokenFailure(grant({ timeRefused: true })).message).toBe(
        "Google refused the assertion's time (token endpoint answered 400 invalid_grant): this machine's clock looks off (the answer had no Date to measure it by); fix its time sync (NTP)",
      );
    });
  });

  it('names the OAuth error word and what to check, nothing more', () => {
    expect(classifyRbmTokenFailure(http(400, 'invalid_grant')).message).toBe(
      "Google refused the service account's credentials (token endpoint answered 400 invalid_grant): check serviceAccount.clientEmail and privateKey",
    );
  });
});

import { ChannelError } from '@tsunagu/channels';
import { classifyLineFailure, classifyLineTokenFailure, LineFailure, LineTokenFailure } from './line-error.parser';

const http = (status: number, body: unknown, extra: Partial<Extract<LineFailure, { kind: 'http' }>> = {}): LineFailure => ({
  kind: 'http',
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...extra,
});

describe('classifyLineFailure', () => {
  it.each([
    [http(429, { message: 'You have reached your monthly limit.' }), 'permanent', 'line_monthly_quota'],
    [http(429, { message: 'Too Many Requests' }), 'retryable', 'line_rate_limited'],
    [http(429, ''), 'retryable', 'line_rate_limited'],
    [http(500, { message: 'Internal server error' }), 'retryable', 'line_server_error'],
    [http(502, '<html>bad gateway</html>'), 'retryable', 'line_server_error'],
    [http(503, {}), 'retryable', 'line_server_error'],
    [http(400, { message: 'The request body has 1 error(s)', details: [{ message: 'Length must be between 0 and 5000', property: 'messages[0].text' }] }), 'permanent', 'line_bad_request'],
    [http(401, { message: 'Authentication failed.' }), 'permanent', 'line_unauthorized'],
    [http(403, { message: 'Access to this API is not available for your account' }), 'permanent', 'line_forbidden'],
    [http(422, { message: 'Failed to send messages' }), 'permanent', 'line_pnp_unreachable'],
    [http(404, { message: 'Not found' }), 'permanent', 'line_client_error'],
    [http(302, ''), 'retryable', 'line_unexpected_status'],
    [{ kind: 'network', detail: 'ECONNREFUSED' } as LineFailure, 'retryable', 'line_network_error'],
    [{ kind: 'timeout', timeoutMs: 10 } as LineFailure, 'retryable', 'line_timeout'],
  ])('%j → %s %s', (failure, kind, code) => {
    const outcome = classifyLineFailure(failure);
    expect(outcome.outcome).toBe('error');
    if (outcome.outcome !== 'error') return;
    expect(outcome.error.kind).toBe(kind);
    expect(outcome.error.code).toBe(code);
  });

  it("keeps LINE's message and detail paths for a 400", () => {
    const outcome = classifyLineFailure(
      http(400, { message: 'The request body has 1 error(s)', details: [{ message: 'Must be specified', property: 'messages[0].text' }] }),
    );
    expect(outcome.outcome === 'error' && outcome.error.message).toBe(
      'LINE 400: The request body has 1 error(s) (messages[0].text: Must be specified)',
    );
  });

  it('treats 409 as accepted before, with the message ids and the accepted request id', () => {
    const outcome = classifyLineFailure(
      http(409, { message: 'The retry key is already accepted', sentMessages: [{ id: '111' }, { id: '222' }] }, { acceptedRequestId: 'req-1' }),
    );
    expect(outcome).toEqual({ outcome: 'accepted_before', sentMessageIds: ['111', '222'], acceptedRequestId: 'req-1' });
  });

  it('treats a 409 without a body (PNP) as accepted before', () => {
    expect(classifyLineFailure(http(409, ''))).toEqual({ outcome: 'accepted_before', sentMessageIds: [], acceptedRequestId: null });
  });

  it('passes Retry-After on as retryAfterMs', () => {
    const outcome = classifyLineFailure(http(429, { message: 'Too Many Requests' }, { retryAfter: '3' }));
    expect(outcome.outcome === 'error' && outcome.error.retryAfterMs).toBe(3000);
  });
});

describe('classifyLineFailure for a call without a retry key (PNP)', () => {
  const pnp = { retryKey: false };
  it.each([
    // LINE may have applied these: a resend without a retry key could reach the person twice.
    [http(500, { message: 'Internal server error' }), 'unknown_outcome', 'line_server_error'],
    [http(503, ''), 'unknown_outcome', 'line_server_error'],
    [{ kind: 'timeout', timeoutMs: 10 } as LineFailure, 'unknown_outcome', 'line_timeout'],
    [{ kind: 'network', detail: 'ECONNRESET' } as LineFailure, 'unknown_outcome', 'line_network_error'],
    [{ kind: 'network', detail: 'unreadable response body' } as LineFailure, 'unknown_outcome', 'line_network_error'],
    // Nothing reached LINE, or LINE refused before applying it.
    [{ kind: 'network', detail: 'ECONNREFUSED' } as LineFailure, 'retryable', 'line_network_error'],
    [{ kind: 'network', detail: 'ENOTFOUND' } as LineFailure, 'retryable', 'line_network_error'],
    [http(429, { message: 'Too Many Requests' }), 'retryable', 'line_rate_limited'],
    [http(429, { message: 'You have reached your monthly limit.' }), 'permanent', 'line_monthly_quota'],
    [http(422, { message: 'Failed to send messages' }), 'permanent', 'line_pnp_unreachable'],
    [http(400, { message: 'bad' }), 'permanent', 'line_bad_request'],
    // No retry key was sent, so a 409 cannot mean "accepted before".
    [http(409, { message: 'Conflict' }), 'permanent', 'line_client_error'],
  ])('%j → %s %s', (failure, kind, code) => {
    const outcome = classifyLineFailure(failure, pnp);
    expect(outcome.outcome).toBe('error');
    if (outcome.outcome !== 'error') return;
    expect([outcome.error.kind, outcome.error.code]).toEqual([kind, code]);
  });

  it('keeps push (retry key) network errors after connecting retryable', () => {
    const outcome = classifyLineFailure({ kind: 'network', detail: 'ECONNRESET' });
    expect(outcome.outcome === 'error' && outcome.error.kind).toBe('retryable');
  });
});

describe('classifyLineTokenFailure', () => {
  const answer = (status: number, body: unknown, retryAfter?: string): LineTokenFailure => ({
    kind: 'http',
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    retryAfter,
  });
  it.each([
    // The credentials: waiting does not help, the config must change.
    [answer(400, { error: 'invalid_client', error_description: 'invalid client_id or client_secret' }), 'permanent', 'line_token_invalid_client'],
    [answer(401, { error: 'invalid_client' }), 'permanent', 'line_token_invalid_client'],
    [answer(400, { error: 'invalid_request', error_description: 'some parameters missed or invalid' }), 'permanent', 'line_token_refused'],
    [answer(400, { error: 'unsupported_grant_type' }), 'permanent', 'line_token_refused'],
    [answer(404, '<html>not found</html>'), 'permanent', 'line_token_refused'],
    // LINE down or busy: a later try may work; nothing reached the Messaging API.
    [answer(429, ''), 'retryable', 'line_token_unavailable'],
    [answer(500, { error: 'server_error' }), 'retryable', 'line_token_unavailable'],
    [answer(503, '<html>unavailable</html>'), 'retryable', 'line_token_unavailable'],
    [{ kind: 'network', detail: 'ECONNREFUSED' } as LineTokenFailure, 'retryable', 'line_token_unavailable'],
    [{ kind: 'network', detail: 'ECONNRESET' } as LineTokenFailure, 'retryable', 'line_token_unavailable'],
    [{ kind: 'timeout', timeoutMs: 10 } as LineTokenFailure, 'retryable', 'line_token_unavailable'],
    [{ kind: 'malformed', detail: 'expires_in is not a positive int32' } as LineTokenFailure, 'retryable', 'line_token_unavailable'],
  ])('%j → %s %s', (failure, kind, code) => {
    const error = classifyLineTokenFailure(failure);
    expect([error.kind, error.code]).toEqual([kind, code]);
  });

  it("names LINE's error code but never echoes its description or anything odd in its place", () => {
    const refused = classifyLineTokenFailure(answer(400, { error: 'invalid_client', error_description: 'secret s3cr3t-echo' }));
    expect(refused.message).toContain('400 invalid_client');
    expect(refused.message).toContain('channelSecret');
    expect(refused.message).not.toContain('s3cr3t-echo');
    expect(classifyLineTokenFailure(answer(400, { error: 'Bearer abc.def' })).message).not.toContain('abc.def');
  });

  it('passes Retry-After on for a 429', () => {
    expect(classifyLineTokenFailure(answer(429, '', '7')).retryAfterMs).toBe(7000);
  });

  it('passes a token failure of a send through as classified: nothing was sent, PNP included', () => {
    const error = ChannelError.permanent('line_token_invalid_client', 'x');
    expect(classifyLineFailure({ kind: 'token', error }, { retryKey: false })).toEqual({ outcome: 'error', error });
  });
});

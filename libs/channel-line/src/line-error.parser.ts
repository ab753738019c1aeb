import { ChannelError } from '@tsunagu/channels';
import { retryAfterMs } from '@tsunagu/core';

/** What a failed Messaging API call looked like, reduced to what the classification needs. */
export type LineFailure =
  | {
      kind: 'http';
      status: number;
      /** The response body as received (LINE's `{message, details, sentMessages}` JSON, or anything). */
      body: string;
      /** `Retry-After` header, when present. */
      retryAfter?: string | null;
      /** `x-line-request-id` of this answer: what LINE's support asks for. */
      requestId?: string | null;
      /** `x-line-accepted-request-id`: on a 409, the request that was accepted with this retry key. */
      acceptedRequestId?: string | null;
    }
  | { kind: 'network'; detail: string }
  | { kind: 'timeout'; timeoutMs: number }
  /** No access token could be had, so nothing was sent; already classified (classifyLineTokenFailure). */
  | { kind: 'token'; error: ChannelError };

/** What a failed `POST /oauth2/v3/token` looked like. */
export type LineTokenFailure =
  | { kind: 'http'; status: number; body: string; retryAfter?: string | null }
  | { kind: 'network'; detail: string }
  | { kind: 'timeout'; timeoutMs: number }
  /** A 2xx that is not an IssueStatelessChannelAccessTokenResponse. */
  | { kind: 'malformed'; detail: string };

/** The outcome of classifying a failure: either an error to throw, or "it was accepted before". */
export type LineFailureOutcome =
  | { outcome: 'accepted_before'; sentMessageIds: string[]; acceptedRequestId: string | null }
  | { outcome: 'error'; error: ChannelError };

/**
 * Whether the call carried `X-Line-Retry-Key`. Push does; LINE notification messages (PNP) cannot
 * (LINE answers 400 to a retry key on any API but push, multicast, narrowcast and broadcast).
 * Without one, a resend after an answer that may follow acceptance could reach the person twice.
 */
export interface LineCallKind {
  retryKey: boolean;
}

/**
 * fetch() failures raised before the request was written (connect, DNS): nothing reached LINE,
 * so a resend is safe even without a retry key. Any other socket error may follow the request.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** LINE's answer when the channel's monthly message quota is used up (its exact wording). */
const MONTHLY_LIMIT_RE = /monthly limit/i;

interface LineErrorBody {
  message?: string;
  details?: { message?: string; property?: string }[];
  sentMessages?: { id?: string }[];
}

/**
 * The one place LINE errors are classified (STYLE.md §4). Pure: a table test covers every row.
 *
 * | status | meaning | kind / code |
 * |---|---|---|
 * | 409 | the retry key was accepted before | success (accepted_before) |
 * | 429 "You have reached your monthly limit." | quota used up | permanent `line_monthly_quota` |
 * | 429 | rate limited | retryable `line_rate_limited` |
 * | 5xx | LINE is failing | retryable `line_server_error` |
 * | 400 | bad request | permanent `line_bad_request` (LINE's message) |
 * | 401 | bad channel access token | permanent `line_unauthorized` |
 * | 403 | no permission (plan, PNP not contracted) | permanent `line_forbidden` |
 * | 422 (PNP) | the number cannot receive a notification message | permanent `line_pnp_unreachable` |
 * | other 4xx | | permanent `line_client_error` |
 * | network / timeout | nothing known | retryable (the retry key makes the resend safe) |
 *
 * A call without a retry key (PNP) differs where LINE may have accepted it: a timeout, a 5xx
 * and a socket error after connecting are `unknown_outcome` (never resent; a late delivery event
 * still settles the attempt), and a 409 cannot mean "accepted before" (`line_client_error`).
 */
export function classifyLineFailure(failure: LineFailure, call: LineCallKind = { retryKey: true }): LineFailureOutcome {
  if (failure.kind === 'token') return error(failure.error);
  // Where LINE may have applied the request: retryable only when the retry key dedupes the resend.
  const maybeApplied = (code: string, message: string, retryAfter?: number): ChannelError =>
    call.retryKey ? ChannelError.retryable(code, message, retryAfter) : ChannelError.unknownOutcome(code, message);
  if (failure.kind === 'network') {
    const message = `LINE API unreachable: ${failure.detail}`;
    if (NOT_SENT_CODES.has(failure.detail)) return error(ChannelError.retryable('line_network_error', message));
    return error(maybeApplied('line_network_error', message));
  }
  if (failure.kind === 'timeout') {
    return error(maybeApplied('line_timeout', `LINE API gave no answer within ${failure.timeoutMs} ms`));
  }
  const { status } = failure;
  const body = parseBody(failure.body);
  const lineMessage = describeBody(body, status);

  if (status === 409 && !call.retryKey) return error(ChannelError.permanent('line_client_error', lineMessage));
  if (status === 409) {
    const ids = (body.sentMessages ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    return { outcome: 'accepted_before', sentMessageIds: ids, acceptedRequestId: failure.acceptedRequestId ?? null };
  }
  if (status === 429) {
    if (MONTHLY_LIMIT_RE.test(body.message ?? '')) {
      // Waiting does not help before the month ends: the policy must move to the next channel.
      return error(ChannelError.permanent('line_monthly_quota', lineMessage));
    }
    return error(ChannelError.retryable('line_rate_limited', lineMessage, retryAfterMs(failure.retryAfter)));
  }
  if (status >= 500) return error(maybeApplied('line_server_error', lineMessage, retryAfterMs(failure.retryAfter)));
  if (status === 400) return error(ChannelError.permanent('line_bad_request', lineMessage));
  if (status === 401) return error(ChannelError.permanent('line_unauthorized', lineMessage));
  if (status === 403) return error(ChannelError.permanent('line_forbidden', lineMessage));
  if (status === 422) return error(ChannelError.permanent('line_pnp_unreachable', lineMessage));
  if (status >= 400) return error(ChannelError.permanent('line_client_error', lineMessage));
  // 1xx/3xx never come from the Messaging API; if a proxy produces one, nothing was sent yet.
  return error(ChannelError.retryable('line_unexpected_status', lineMessage));
}

/**
 * Failures to issue a stateless channel access token. Nothing reached the Messaging API, so every
 * one of them is safe to retry later, PNP included; the question is only whether waiting helps.
 *
 * | answer | kind / code |
 * |---|---|
 * | 400/401 `invalid_client` (wrong id or channelSecret) | permanent `line_token_invalid_client` |
 * | other 4xx (`invalid_request`, `unsupported_grant_type`, ...) | permanent `line_token_refused` |
 * | 429, 5xx, network, timeout, an unreadable 2xx | retryable `line_token_unavailable` |
 *
 * Messages carry LINE's `error` code word only: never the form sent (it holds the secret), and not
 * `error_description`, which a proxy in between could fill with anything.
 */
export function classifyLineTokenFailure(failure: LineTokenFailure): ChannelError {
  const unavailable = (why: string, retryAfter?: number) =>
    ChannelError.retryable('line_token_unavailable', `no LINE channel access token could be issued: ${why}`, retryAfter);
  if (failure.kind === 'network') return unavailable(`token endpoint unreachable (${failure.detail})`);
  if (failure.kind === 'timeout') return unavailable(`token endpoint gave no answer within ${failure.timeoutMs} ms`);
  if (failure.kind === 'malformed') return unavailable(`unreadable token answer (${failure.detail})`);
  const { status } = failure;
  const code = oauthErrorCode(failure.body);
  const answered = `token endpoint answered ${status}${code ? ` ${code}` : ''}`;
  if (status === 429 || status >= 500) return unavailable(answered, retryAfterMs(failure.retryAfter));
  if (code === 'invalid_client') {
    return ChannelError.permanent('line_token_invalid_client', `LINE refused the channel's credentials (${answered}): check its id and channelSecret`);
  }
  if (status >= 400) return ChannelError.permanent('line_token_refused', `LINE refused to issue a channel access token (${answered})`);
  return unavailable(answered);
}

/** The OAuth `error` of LINE's ErrorResponse, when it is a plain code word. */
function oauthErrorCode(text: string): string | null {
  const value = (parseBody(text) as { error?: unknown }).error;
  return typeof value === 'string' && /^[a-z_]{1,64}$/.test(value) ? value : null;
}

function error(err: ChannelError): LineFailureOutcome {
  return { outcome: 'error', error: err };
}

function parseBody(text: string): LineErrorBody {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as LineErrorBody) : {};
  } catch {
    return {};
  }
}

/**
 * LINE's message and the details' property paths. Detail messages are rule texts ("Length must
 * be between 0 and 5000"), never the value sent, so they carry no personal data.
 */
function describeBody(body: LineErrorBody, status: number): string {
  const base = typeof body.message === 'string' && body.message !== '' ? body.message : `HTTP ${status}`;
  const details = (body.details ?? [])
    .filter((d) => d && (typeof d.message === 'string' || typeof d.property === 'string'))
    .slice(0, 10)
    .map((d) => `${d.property ?? '?'}: ${d.message ?? '?'}`);
  return details.length > 0 ? `LINE ${status}: ${base} (${details.join('; ')})` : `LINE ${status}: ${base}`;
}

import { ChannelError } from '@tsunagu/channels';
import { retryAfterMs } from '@tsunagu/core';
import { CLOCK_SKEW_LIMIT_MS, describeSkew } from './rbm-clock';

/*
 * The one place RBM failures become ChannelErrors (STYLE.md §4). Pure: an HTTP status, the
 * `Retry-After` header and the Google error body in; a classified error out.
 *
 * Google APIs answer errors as `{ error: { code, message, status: 'INVALID_ARGUMENT', details } }`.
 */

export interface RbmHttpFailure {
  status: number;
  body: unknown;
  /** The raw `Retry-After` header: delta-seconds or an HTTP date. */
  retryAfter?: string | null;
  /** For an HTTP-date Retry-After; defaults to the current time. */
  now?: Date;
}

export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
}

/** Default wait when RBM throttles without saying how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export function readGoogleError(body: unknown): GoogleErrorBody {
  if (!body || typeof body !== 'object') return {};
  const error = (body as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return {};
  const { code, message, status } = error as Record<string, unknown>;
  return {
    code: typeof code === 'number' ? code : undefined,
    message: typeof message === 'string' ? message : undefined,
    status: typeof status === 'string' ? status : undefined,
  };
}

export function parseRbmError(failure: RbmHttpFailure): ChannelError {
  const { status } = failure;
  const google = readGoogleError(failure.body);
  const message = providerMessage(google, status);

  if (status === 404) return ChannelError.permanent('not_rcs_capable', message);
  if (status === 429) {
    return ChannelError.retryable(
      'rbm_rate_limited',
      message,
      retryAfterMs(failure.retryAfter, failure.now?.getTime()) ?? DEFAULT_RETRY_AFTER_MS,
    );
  }
  if (status >= 500) {
    return ChannelError.retryable(
      `rbm_${codeFrom(google.status) ?? 'server_error'}`,
      message,
      retryAfterMs(failure.retryAfter, failure.now?.getTime()),
    );
  }
  // RBM refused even the token issued after a first 401 within this call (rbm.client.ts): the
  // next try of the attempt gets yet another one.
  if (status === 401) return ChannelError.retryable('rbm_unauthenticated', message);
  if (status === 400) return ChannelError.permanent(`rbm_${codeFrom(google.status) ?? 'invalid_argument'}`, message);
  if (status === 403) return ChannelError.permanent(`rbm_${codeFrom(google.status) ?? 'permission_denied'}`, message);
  if (status === 408) return ChannelError.retryable('rbm_unreachable', message);
  return ChannelError.permanent(`rbm_${codeFrom(google.status) ?? `http_${status}`}`, message);
}

/**
 * A request that never got an answer (refused, reset, timed out). Retrying is safe because the
 * messageId makes RBM drop a second create of the same message.
 */
export function rbmNetworkError(err: unknown): ChannelError {
  const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
  return ChannelError.retryable('rbm_unreachable', timedOut ? 'RBM request timed out' : 'RBM unreachable');
}

function codeFrom(status: string | undefined): string | undefined {
  if (!status) return undefined;
  const code = status.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return code || undefined;
}

/**
 * The provider's words, for operators. Google sometimes quotes the phone number in the message;
 * long digit runs are masked because this text ends up in attempt reasons and logs.
 */
function providerMessage(google: GoogleErrorBody, status: number): string {
  const text = google.message?.slice(0, 300) ?? `RBM answered HTTP ${status}`;
  return text.replace(/\+?\d[\d\s-]{5,}\d/g, '[redacted]');
}

/** What a failed request for an access token looked like (rbm-token.client.ts). */
export type RbmTokenFailure =
  /** The token endpoint answered non-2xx; `oauthError` is the `error` word of its JSON body. */
  | {
      kind: 'http';
      status: number;
      oauthError: string | null;
      retryAfter?: string | null;
      /** Its `error_description` says the assertion's `iat`/`exp` were refused (rbm-clock.ts). */
      timeRefused?: boolean;
      /** The endpoint's clock (its `Date`) minus ours when the answer came; null or absent without a `Date`. */
      clockSkewMs?: number | null;
      /** What was added to our clock to sign the assertion (the skew measured before); 0 or absent: our own time. */
      signedOffsetMs?: number;
    }
  | { kind: 'network'; detail: string }
  | { kind: 'timeout'; timeoutMs: number }
  /** The service account's private key could not sign the assertion (not a usable RSA key). */
  | { kind: 'signing' }
  /** A 2xx that is not a token answer. */
  | { kind: 'malformed'; detail: string };

/** OAuth `error` words that mean the service account's key or the account itself is refused. */
const REFUSED_CREDENTIALS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/**
 * Failures to get an access token from the OAuth token endpoint (the JWT-bearer grant). Nothing
 * reached RBM, so nothing was sent; the question is only whether trying again can help.
 *
 * | failure | kind / code |
 * |---|---|
 * | `invalid_grant` for the assertion's time: Google's description says `iat`/`exp` were refused, or the answer's `Date` is more than CLOCK_SKEW_LIMIT_MS from the time the assertion was signed with | retryable `rbm_token_clock_skew` (this machine's clock is off; the key may be fine) |
 * | `invalid_grant` otherwise (key deleted, disabled or not the account's), `invalid_client`, `unauthorized_client`, any 401; a key that cannot sign | permanent `rbm_token_invalid_credentials` |
 * | other 4xx (`invalid_scope`, `invalid_request`, a `tokenUrl` answering 404, ...) | permanent `rbm_token_refused` |
 * | 408, 429, 5xx, network, timeout, an unreadable 2xx | retryable `rbm_token_unavailable` |
 *
 * Messages carry the OAuth `error` word (and for the clock, the skew measured) only: never
 * `error_description` (Google's text, which a proxy in between could fill with anything; it is only
 * matched against), never the assertion or the key.
 */
export function classifyRbmTokenFailure(failure: RbmTokenFailure): ChannelError {
  const unavailable = (why: string, retryAfter?: number) =>
    ChannelError.retryable('rbm_token_unavailable', `no RBM access token could be had: ${why}`, retryAfter);
  if (failure.kind === 'network') return unavailable(`token endpoint unreachable (${failure.detail})`);
  if (failure.kind === 'timeout') return unavailable(`token endpoint gave no answer within ${failure.timeoutMs} ms`);
  if (failure.kind === 'malformed') return unavailable(`unreadable token answer (${failure.detail})`);
  if (failure.kind === 'signing') {
    return ChannelError.permanent('rbm_token_invalid_credentials', "the service account's private key cannot sign: check serviceAccount.privateKey");
  }
  const { status, oauthError } = failure;
  const answered = `token endpoint answered ${status}${oauthError ? ` ${oauthError}` : ''}`;
  if (status === 408 || status === 429 || status >= 500 || status < 400) return unavailable(answered, retryAfterMs(failure.retryAfter));
  if (oauthError === 'invalid_grant' && refusedForTime(failure)) {
    const skew = failure.clockSkewMs;
    const clock = typeof skew === 'number' ? `this machine's clock is ${describeSkew(skew)}` : "this machine's clock looks off (the answer had no Date to measure it by)";
    return ChannelError.retryable('rbm_token_clock_skew', `Google refused the assertion's time (${answered}): ${clock}; fix its time sync (NTP)`);
  }
  if (status === 401 || (oauthError !== null && REFUSED_CREDENTIALS.has(oauthError))) {
    return ChannelError.permanent(
      'rbm_token_invalid_credentials',
      `Google refused the service account's credentials (${answered}): check serviceAccount.clientEmail and privateKey`,
    );
  }
  return ChannelError.permanent('rbm_token_refused', `Google refused to issue an RBM access token (${answered})`);
}

/**
 * Google said so, or the answer's `Date` is past the limit from the time the assertion was signed
 * with. A skew already signed around (signedOffsetMs) does not count: then the refusal is the key's.
 */
function refusedForTime(failure: Extract<RbmTokenFailure, { kind: 'http' }>): boolean {
  if (failure.timeRefused) return true;
  const skew = failure.clockSkewMs;
  return typeof skew === 'number' && Math.abs(skew - (failure.signedOffsetMs ?? 0)) > CLOCK_SKEW_LIMIT_MS;
}

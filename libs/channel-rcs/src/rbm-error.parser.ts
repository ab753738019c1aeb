import { ChannelError } from '@tsunagu/channels';
import { retryAfterMs } from '@tsunagu/core';

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
  // A rejected or expired access token: the next attempt fetches a fresh one.
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

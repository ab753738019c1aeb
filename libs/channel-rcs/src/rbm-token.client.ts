import { gaxios, GoogleToken } from 'google-auth-library';
import { IssuedToken, parseOAuthTokenAnswer } from '@tsunagu/channels';
import { classifyRbmTokenFailure, RbmTokenFailure } from './rbm-error.parser';
import { GOOGLE_TOKEN_URL, RBM_SCOPE, RcsAgentOptions } from './rcs.options';

/**
 * Asks the OAuth token endpoint for one new access token for an agent's service account: the
 * JWT-bearer grant (RFC 7523), signed with its private key by google-auth-library's GoogleToken.
 * Every call is a new request (`forceRefresh`): holding, renewing and sharing the token is
 * RbmTokenProvider's work, so the library's own cache is never consulted. Throws a classified
 * ChannelError, never anything else. Nothing here logs: the form holds the signed assertion and
 * the answer holds the token.
 *
 * google-auth-library 10 has no token-URL option: GoogleToken posts to
 * https://oauth2.googleapis.com/token and signs that as the JWT `aud`. To let the sandbox stand in,
 * the audience is set through `additionalClaims` and the request re-pointed by the transporter
 * handed to it. With no `tokenUrl` configured both stay Google's.
 */
export function rbmTokenIssuer(agent: RcsAgentOptions, timeoutMs: number): () => Promise<IssuedToken> {
  const tokenUrl = agent.tokenUrl ?? GOOGLE_TOKEN_URL;
  // Node's own fetch: gaxios would otherwise load node-fetch through a dynamic import().
  const http = new gaxios.Gaxios({ fetchImplementation: fetch });
  const gtoken = new GoogleToken({
    iss: agent.serviceAccount.clientEmail,
    key: agent.serviceAccount.privateKey,
    scope: [RBM_SCOPE],
    additionalClaims: { aud: tokenUrl },
    transporter: {
      request: (options) =>
        http.request({
          ...options,
          url: tokenUrl,
          timeout: timeoutMs,
          // An answer from somewhere else is not Google's, and a redirect would carry the assertion along.
          redirect: 'error',
          // One quick retry at most, of a 5xx, 429 or lost connection: a send waiting on a token is itself retried by the queue.
          retryConfig: { ...options.retryConfig, retry: 1 },
        }),
    },
  });
  return async () => {
    let data: unknown;
    try {
      data = await gtoken.getToken({ forceRefresh: true });
    } catch (err) {
      throw classifyRbmTokenFailure(tokenFailureOf(err, timeoutMs));
    }
    const parsed = parseTokenAnswer(data);
    if (!parsed.ok) throw classifyRbmTokenFailure({ kind: 'malformed', detail: parsed.detail });
    return parsed.token;
  };
}

/** google-auth-library hands the token endpoint's answer over parsed: read as an OAuth token answer. */
export const parseTokenAnswer = parseOAuthTokenAnswer;

/**
 * What went wrong, read by shape: gaxios errors carry `config` (whose body holds the signed
 * assertion: the error itself is never kept or logged) and, when an answer came, `response`. An
 * error without `config` was thrown before any request, while signing with the key.
 */
export function tokenFailureOf(err: unknown, timeoutMs: number): RbmTokenFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    config?: unknown;
    code?: unknown;
    message?: unknown;
    response?: { status?: unknown; data?: unknown; headers?: { get?: (name: string) => string | null } };
    cause?: { name?: unknown; code?: unknown; cause?: { code?: unknown } };
  };
  if (e.config === undefined) return { kind: 'signing' };
  const status = e.response?.status;
  if (typeof status === 'number') {
    const data = e.response?.data;
    const word = typeof data === 'object' && data !== null ? (data as { error?: unknown }).error : undefined;
    const retryAfter = typeof e.response?.headers?.get === 'function' ? e.response.headers.get('retry-after') : null;
    return { kind: 'http', status, oauthError: typeof word === 'string' && /^[\w.-]{1,64}$/.test(word) ? word : null, retryAfter };
  }
  if (e.code === 'TimeoutError' || e.cause?.name === 'TimeoutError' || e.cause?.name === 'AbortError') return { kind: 'timeout', timeoutMs };
  // fetch() rejects with TypeError('fetch failed') and the socket error as its cause.
  const code = e.cause?.cause?.code ?? e.cause?.code;
  return { kind: 'network', detail: typeof code === 'string' ? code : typeof e.message === 'string' ? e.message.slice(0, 100) : 'unknown failure' };
}

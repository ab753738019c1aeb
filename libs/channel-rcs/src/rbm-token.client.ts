import { gaxios, GoogleToken, Transporter } from 'google-auth-library';
import { ChannelError, IssuedToken, parseOAuthTokenAnswer } from '@tsunagu/channels';
import { describesTimeRefusal, skewOf, TokenEndpointClock } from './rbm-clock';
import { classifyRbmTokenFailure, RbmTokenFailure } from './rbm-error.parser';
import { GOOGLE_TOKEN_URL, RBM_SCOPE, RcsAgentOptions } from './rcs.options';

/** The longest life Google accepts for an assertion (`exp - iat`), as the library signs it. */
const ASSERTION_LIFE_S = 3600;

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
 *
 * `iat` and `exp` are set the same way (the library spreads `additionalClaims` over its own
 * claims, as it does for `aud`), from our clock plus the `clock`'s offset: nothing while our clock
 * agrees with the token endpoint's `Date`, the measured skew when it is more than a minute off, as
 * AWS's SDKs correct their request signatures by the server's `Date`. A refusal for the
 * assertion's time that first measures the skew is asked once more at once, signed with the
 * endpoint's time; the access token's own life is counted on our monotonic clock (RenewingToken),
 * which a wrong wall clock does not touch.
 */
export function rbmTokenIssuer(agent: RcsAgentOptions, timeoutMs: number, clock = new TokenEndpointClock(agent.id)): () => Promise<IssuedToken> {
  const tokenUrl = agent.tokenUrl ?? GOOGLE_TOKEN_URL;
  // Node's own fetch: gaxios would otherwise load node-fetch through a dynamic import().
  const http = new gaxios.Gaxios({ fetchImplementation: fetch });
  const transporter: Transporter = {
    request: async <T>(options: gaxios.GaxiosOptions) => {
      try {
        const res = await http.request<T>({
          ...options,
          url: tokenUrl,
          timeout: timeoutMs,
          // An answer from somewhere else is not Google's, and a redirect would carry the assertion along.
          redirect: 'error',
          // One quick retry at most, of a 5xx, 429 or lost connection: a send waiting on a token is itself retried by the queue.
          retryConfig: { ...options.retryConfig, retry: 1 },
        });
        clock.observe(res.headers.get('date'));
        return res;
      } catch (err) {
        clock.observe(dateOf(err));
        throw err;
      }
    },
  };
  const issueOnce = async (offsetMs: number): Promise<IssuedToken> => {
    const iat = Math.floor((Date.now() + offsetMs) / 1000);
    // One GoogleToken per issuance (it only keeps its options): the claims are this issuance's.
    const gtoken = new GoogleToken({
      iss: agent.serviceAccount.clientEmail,
      key: agent.serviceAccount.privateKey,
      scope: [RBM_SCOPE],
      additionalClaims: { aud: tokenUrl, iat, exp: iat + ASSERTION_LIFE_S },
      transporter,
    });
    let data: unknown;
    try {
      data = await gtoken.getToken({ forceRefresh: true });
    } catch (err) {
      throw classifyRbmTokenFailure(tokenFailureOf(err, timeoutMs, offsetMs));
    }
    const parsed = parseTokenAnswer(data);
    if (!parsed.ok) throw classifyRbmTokenFailure({ kind: 'malformed', detail: parsed.detail });
    return parsed.token;
  };
  return async () => {
    const offsetMs = clock.offsetMs();
    try {
      return await issueOnce(offsetMs);
    } catch (err) {
      const corrected = clock.offsetMs();
      if (err instanceof ChannelError && err.code === 'rbm_token_clock_skew' && corrected !== offsetMs) return issueOnce(corrected);
      throw err;
    }
  };
}

/** The `Date` header of a gaxios error's answer, if one came. */
function dateOf(err: unknown): string | null {
  const headers = (err as { response?: { headers?: { get?: (name: string) => string | null } } } | null)?.response?.headers;
  return typeof headers?.get === 'function' ? headers.get('date') : null;
}

/** google-auth-library hands the token endpoint's answer over parsed: read as an OAuth token answer. */
export const parseTokenAnswer = parseOAuthTokenAnswer;

/**
 * What went wrong, read by shape: gaxios errors carry `config` (whose body holds the signed
 * assertion: the error itself is never kept or logged) and, when an answer came, `response`. An
 * error without `config` was thrown before any request, while signing with the key. An answer's
 * `Date` is read against `now` (when it came), and `signedOffsetMs` (what was added to our clock to
 * sign the assertion) is passed on, so the classifier can tell a refusal for the time.
 */
export function tokenFailureOf(err: unknown, timeoutMs: number, signedOffsetMs = 0, now = Date.now()): RbmTokenFailure {
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
    const { error: word, error_description: description } = typeof data === 'object' && data !== null ? (data as { error?: unknown; error_description?: unknown }) : {};
    const header = (name: string) => (typeof e.response?.headers?.get === 'function' ? e.response.headers.get(name) : null);
    return {
      kind: 'http',
      status,
      oauthError: typeof word === 'string' && /^[\w.-]{1,64}$/.test(word) ? word : null,
      retryAfter: header('retry-after'),
      timeRefused: describesTimeRefusal(description),
      clockSkewMs: skewOf(header('date'), now),
      signedOffsetMs,
    };
  }
  if (e.code === 'TimeoutError' || e.cause?.name === 'TimeoutError' || e.cause?.name === 'AbortError') return { kind: 'timeout', timeoutMs };
  // fetch() rejects with TypeError('fetch failed') and the socket error as its cause.
  const code = e.cause?.cause?.code ?? e.cause?.code;
  return { kind: 'network', detail: typeof code === 'string' ? code : typeof e.message === 'string' ? e.message.slice(0, 100) : 'unknown failure' };
}

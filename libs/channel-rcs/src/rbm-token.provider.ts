import { JWT } from 'google-auth-library';
import { GOOGLE_TOKEN_URL, RBM_SCOPE, RcsAgentOptions } from './rcs.options';

/**
 * One OAuth access token per agent, from its service-account key, through google-auth-library's
 * JWT client (which caches it and refreshes it five minutes before expiry).
 *
 * google-auth-library 10 has no token-URL option: its built-in gtoken posts to
 * https://oauth2.googleapis.com/token and signs that as the JWT `aud`. To let the sandbox stand in,
 * the audience is set through `additionalClaims` and the request is re-pointed by an interceptor
 * on the client's own transporter. With no `tokenUrl` configured both stay Google's.
 */
export class RbmTokenProvider {
  private readonly jwt: JWT;
  private inflight: Promise<string> | null = null;
  private lastError: string | null = null;

  constructor(agent: RcsAgentOptions, timeoutMs: number) {
    const tokenUrl = agent.tokenUrl ?? GOOGLE_TOKEN_URL;
    this.jwt = new JWT({
      email: agent.serviceAccount.clientEmail,
      key: agent.serviceAccount.privateKey,
      scopes: [RBM_SCOPE],
      additionalClaims: { aud: tokenUrl },
      // Node's own fetch: gaxios would otherwise load node-fetch through a dynamic import().
      transporterOptions: { fetchImplementation: fetch },
    });
    this.jwt.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (options.url.href === GOOGLE_TOKEN_URL) {
          options.url = new URL(tokenUrl);
          options.timeout = timeoutMs;
          // One quick retry at most: a send waiting on a token is itself retried by the queue.
          options.retryConfig = { ...options.retryConfig, retry: 1 };
        }
        return options;
      },
    });
  }

  /** A valid access token; concurrent callers share one fetch. */
  async token(): Promise<string> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** After a 401: the cached token was refused, so the next call fetches a new one. */
  invalidate(): void {
    this.jwt.credentials = { ...this.jwt.credentials, access_token: null, expiry_date: 1 };
  }

  get error(): string | null {
    return this.lastError;
  }

  private async fetch(): Promise<string> {
    try {
      const { token } = await this.jwt.getAccessToken();
      if (!token) throw new Error('the token endpoint returned no access token');
      this.lastError = null;
      return token;
    } catch (err) {
      // Only the kind of failure is kept: gaxios errors carry the request, whose body holds the
      // signed assertion.
      this.lastError = describeTokenError(err);
      throw new RbmTokenError(this.lastError);
    }
  }
}

export class RbmTokenError extends Error {
  override name = 'RbmTokenError';
}

function describeTokenError(err: unknown): string {
  const status = (err as { response?: { status?: unknown } } | null)?.response?.status;
  if (typeof status === 'number') return `token endpoint answered HTTP ${status}`;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `token request failed (${code})` : 'token request failed';
}

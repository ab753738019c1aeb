import { IssuedToken, parseOAuthTokenAnswer } from '@tsunagu/channels';
import { LINE_STATELESS_TOKEN_PATH } from './line-channel.options';
import { classifyLineTokenFailure, LineTokenFailure } from './line-error.parser';

export interface LineTokenRequest {
  /** The Messaging API's host (`apiBaseUrl`): LINE serves the token endpoint there too. */
  baseUrl: string;
  /** The channel id. */
  clientId: string;
  /** The channel secret. */
  clientSecret: string;
  timeoutMs: number;
}

/**
 * `POST /oauth2/v3/token` with `grant_type=client_credentials&client_id=…&client_secret=…`
 * (channel-access-token.yml, IssueStatelessChannelTokenByClientSecretRequest): one stateless
 * channel access token, valid 15 minutes. Throws a classified ChannelError, never anything else.
 * Nothing here logs: the form holds the secret and the answer holds the token.
 */
export async function issueStatelessLineToken(req: LineTokenRequest): Promise<IssuedToken> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(new URL(LINE_STATELESS_TOKEN_PATH, req.baseUrl), {
      method: 'POST',
      // URLSearchParams: application/x-www-form-urlencoded;charset=UTF-8, every value escaped.
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: req.clientId, client_secret: req.clientSecret }),
      headers: { accept: 'application/json' },
      // An answer from somewhere else is not LINE's, and a redirect would carry the secret along.
      redirect: 'error',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw classifyLineTokenFailure(fetchFailure(err, req.timeoutMs));
  }
  if (!res.ok) {
    throw classifyLineTokenFailure({ kind: 'http', status: res.status, body: text, retryAfter: res.headers.get('retry-after') });
  }
  const parsed = parseStatelessTokenAnswer(text);
  if (!parsed.ok) throw classifyLineTokenFailure({ kind: 'malformed', detail: parsed.detail });
  return parsed.token;
}

/**
 * A 2xx body read as IssueStatelessChannelAccessTokenResponse: `access_token`, `expires_in`
 * (int32 seconds) and `token_type` ("always Bearer"), all required: an OAuth token answer.
 */
export function parseStatelessTokenAnswer(text: string): ReturnType<typeof parseOAuthTokenAnswer> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  return parseOAuthTokenAnswer(body);
}

function fetchFailure(err: unknown, timeoutMs: number): LineTokenFailure {
  // Read by shape, not instanceof: Node's fetch makes its errors in another realm than jest's.
  const { name, message, cause } = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', timeoutMs };
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return { kind: 'network', detail: code ?? (typeof message === 'string' ? message : 'unknown failure') };
}

import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { ChannelError } from '@tsunagu/channels';
import { TIMED_OUT, within } from '@tsunagu/core';
import { LineFailure } from './line-error.parser';
import { LineMessage } from './line-message.validator';
import { LineTokenSource } from './line-token.provider';

/**
 * A call that reached LINE and was answered 2xx, or the failure to classify. `renewedToken`: the
 * first try's token was refused (401), a new one was issued and the call made once more.
 */
export type LineCallResult<T> =
  | { ok: true; status: number; requestId: string | null; value: T; renewedToken?: boolean }
  | { ok: false; failure: LineFailure; renewedToken?: boolean };

export interface LineClientConfig {
  baseUrl: string;
  /** The channel's Bearer token: configured, or issued and renewed (line-token.provider.ts). */
  tokens: LineTokenSource;
  timeoutMs: number;
}

interface Answer<T> {
  status: number;
  requestId: string | null;
  value: T;
}

/**
 * The Messaging API for one LINE channel, through @line/bot-sdk v10's fetch-based
 * `MessagingApiClient` (its `baseURL` points it at the sandbox in tests). Turns every failure into
 * a `LineFailure` for the one error parser; never throws for HTTP or network trouble, nor when no
 * token can be had.
 */
export class LineApiClient {
  /** The SDK client holds its token; one is made per token, and kept while the token is. */
  private sdk: { token: string; client: messagingApi.MessagingApiClient } | null = null;

  constructor(private readonly config: LineClientConfig) {}

  /** `POST /v2/bot/message/push` with `X-Line-Retry-Key`. */
  async push(to: string, messages: readonly LineMessage[], retryKey: string): Promise<LineCallResult<{ sentMessageIds: string[] }>> {
    return this.call(async (client) => {
      const res = await client.pushMessageWithHttpInfo({ to, messages: asSdkMessages(messages) }, retryKey);
      return {
        status: res.httpResponse.status,
        requestId: res.httpResponse.headers.get('x-line-request-id'),
        value: { sentMessageIds: (res.body?.sentMessages ?? []).map((m) => m.id) },
      };
    });
  }

  /**
   * `POST /bot/pnp/push` (LINE notification message) with `X-Line-Delivery-Tag` and no retry key:
   * LINE refuses `X-Line-Retry-Key` on this API with 400, so a PNP send cannot be deduplicated and
   * the error parser treats answers that may follow acceptance as unknown outcomes.
   */
  async pnpPush(toHash: string, messages: readonly LineMessage[], deliveryTag: string): Promise<LineCallResult<Record<string, never>>> {
    return this.call(async (client) => {
      const res = await client.pushMessagesByPhoneWithHttpInfo({ to: toHash, messages: asSdkMessages(messages) }, deliveryTag);
      return { status: res.httpResponse.status, requestId: res.httpResponse.headers.get('x-line-request-id'), value: {} };
    });
  }

  /**
   * One try, and after a 401 to an issued token one more with a new token. The retry is safe for
   * both calls, not only for a push (whose retry key would dedupe it anyway): a 401 is LINE
   * refusing the Authorization header, checked before the request is accepted or looked at, so
   * nothing was sent and a PNP send without a retry key cannot reach the person twice. Only the
   * 401 is retried here; a timeout, a 5xx or a dropped socket may follow acceptance and go to the
   * error parser as before. A configured token is never retried: a 401 there is a wrong config.
   */
  private async call<T>(fn: (client: messagingApi.MessagingApiClient) => Promise<Answer<T>>): Promise<LineCallResult<T>> {
    const first = await this.once(fn);
    if (first.refusedToken === undefined || !this.config.tokens.refused(first.refusedToken)) return first.result;
    const second = await this.once(fn);
    return { ...second.result, renewedToken: true };
  }

  private async once<T>(fn: (client: messagingApi.MessagingApiClient) => Promise<Answer<T>>): Promise<{ result: LineCallResult<T>; refusedToken?: string }> {
    let token: string;
    try {
      token = await this.config.tokens.token();
    } catch (err) {
      const error = err instanceof ChannelError ? err : ChannelError.retryable('line_token_unavailable', 'no LINE channel access token');
      return { result: { ok: false, failure: { kind: 'token', error } } };
    }
    try {
      const settled = await within(fn(this.clientFor(token)), this.config.timeoutMs);
      if (settled === TIMED_OUT) {
        // The request may still land: a push's retry key makes the resend safe; a PNP send's
        // outcome is unknown (see classifyLineFailure).
        return { result: { ok: false, failure: { kind: 'timeout', timeoutMs: this.config.timeoutMs } } };
      }
      return { result: { ok: true, ...settled } };
    } catch (err) {
      const failure = toFailure(err);
      return { result: { ok: false, failure }, refusedToken: failure.kind === 'http' && failure.status === 401 ? token : undefined };
    }
  }

  private clientFor(token: string): messagingApi.MessagingApiClient {
    if (this.sdk?.token !== token) {
      this.sdk = { token, client: new messagingApi.MessagingApiClient({ baseURL: this.config.baseUrl, channelAccessToken: token }) };
    }
    return this.sdk.client;
  }
}

/** Our validated message objects are plain JSON; the SDK's generated union types are not needed. */
function asSdkMessages(messages: readonly LineMessage[]): messagingApi.Message[] {
  return messages as unknown as messagingApi.Message[];
}

function toFailure(err: unknown): LineFailure {
  if (err instanceof HTTPFetchError) {
    return {
      kind: 'http',
      status: err.status,
      body: err.body,
      retryAfter: err.headers.get('retry-after'),
      requestId: err.headers.get('x-line-request-id'),
      acceptedRequestId: err.headers.get('x-line-accepted-request-id'),
    };
  }
  if (err instanceof SyntaxError) {
    // A 2xx whose body the SDK could not parse (it throws HTTPFetchError for non-2xx before
    // parsing). A push resent with the same retry key answers 409 with the message ids; a PNP
    // send was accepted, but without a retry key it is an unknown outcome, never resent.
    return { kind: 'network', detail: 'unreadable response body' };
  }
  // fetch() rejects with TypeError('fetch failed') and the socket error as its cause. Read by
  // shape, not instanceof: Node's built-in fetch makes its errors in another realm than a jest
  // test's, and the cause's code decides whether a PNP send may be retried.
  const { message, cause } = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; cause?: { code?: unknown } };
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return { kind: 'network', detail: code ?? (typeof message === 'string' ? message : 'unknown failure') };
}
